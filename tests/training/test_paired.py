"""The paired bootstrap tells a real difference between two models from a split's noise."""

from __future__ import annotations

import numpy as np
import pytest

from training.build import main as build
from training.corpora import Example
from training.paired import paired_bootstrap


def split(n: int = 120) -> tuple[list[Example], np.ndarray]:
    labels = np.arange(n) % 6
    return [Example(text=f"t{i}", label=int(y), source="conversation") for i, y in enumerate(labels)], labels


def test_the_same_predictions_differ_by_nothing():
    examples, labels = split()
    p = np.random.default_rng(0).dirichlet(np.ones(6), size=len(examples))
    result = paired_bootstrap(p, p, examples, resamples=200)
    assert result["difference"] == 0.0 and result["interval_95"] == [0.0, 0.0]


def test_a_model_right_everywhere_beats_one_right_by_chance():
    examples, labels = split()
    right = np.eye(6)[labels]
    by_chance = np.eye(6)[np.random.default_rng(1).integers(0, 6, len(examples))]
    result = paired_bootstrap(by_chance, right, examples, resamples=200)
    assert result["b"] == 1.0 and result["interval_95"][0] > 0.5 and result["b_better_share"] == 1.0


def test_two_models_one_text_apart_are_not_told_apart():
    examples, labels = split()
    a = np.eye(6)[labels]
    b = a.copy()
    b[0] = np.eye(6)[(labels[0] + 1) % 6]  # one text of 120 wrong
    low, high = paired_bootstrap(a, b, examples, resamples=500)["interval_95"]
    assert low < 0 <= high


def test_a_bad_source_weight_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        build(["--source-weight", "lyric=2"])
    assert "expected CORPUS=W" in capsys.readouterr().err
