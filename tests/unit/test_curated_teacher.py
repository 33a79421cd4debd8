"""The audio model's teacher from playlists: curated moods fill in the songs that have no lyrics vector."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.classifier.client import LocalClassifier
from services.common.labels import INDEX
from services.common.settings import ClassifierSettings
from training.audio.teacher import curated_teacher


def test_curated_moods_teach_only_the_songs_without_lyrics(tmp_path):
    rows = [{"id": i, "plylst_title": "화날 때 크게 트는 노래", "tags": ["분노", "짜증"], "songs": [1, 2], "like_cnt": i}
            for i in range(1, 4)] + [{"id": 9, "plylst_title": "이별", "tags": [], "songs": [3], "like_cnt": 0}]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    lyrics = {"1": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]}
    classifier = LocalClassifier(ClassifierSettings())
    try:
        teacher, added = curated_teacher([path], lyrics, classifier=classifier, min_playlists=3)
    finally:
        classifier.close()
    assert teacher["1"] == lyrics["1"]  # a song with lyrics keeps its lyrics vector
    assert added == 1 and set(teacher) == {"1", "2"}  # song 3 is in one playlist only: too thin
    assert sum(teacher["2"]) == pytest.approx(1.0, abs=1e-4)
    assert int(np.argmax(teacher["2"])) == INDEX["anger"]
