"""The comparison harness on tiny inputs: every configuration trains, is evaluated and gets a row."""

from __future__ import annotations

from tests.support.tiny_model import build_tiny_backbone
from tests.training.test_build import tiny_corpus
from training.compare import Config, compare, table


def test_tiny_comparison_writes_a_row_per_configuration(tmp_path):
    backbone = build_tiny_backbone(tmp_path / "bb")
    data = tiny_corpus(tmp_path / "data", per_emotion=12)
    configs = [Config("full adamw"), Config("frozen", freeze=True), Config("dapt", dapt=True),
               Config("adafactor", optimizer="adafactor", lr=1e-3)]
    rows = compare({"e5-small": backbone}, configs, tmp_path / "work", epochs=1, dapt_steps=[5, 5, 5],
                   data_dir=data, max_steps=5)
    assert [r["config"] for r in rows] == ["full adamw", "frozen", "dapt", "adafactor"]
    for row in rows:
        assert 0 <= row["figures"]["conversation"]["macro_f1"] <= 1 and row["train_seconds"] > 0
    text = table(rows)
    assert text.count("\n") == 2 + len(configs) and "| dapt | e5-small | yes |" in text
