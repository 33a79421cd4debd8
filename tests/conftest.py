"""Fixtures shared by the whole suite."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.settings import DEFAULT_MODEL_DIR
from tests.support.processes import classifier_service, speech_service
from tests.support.tiny_model import build_tiny_artifact

MOODTUNE = str(Path(sys.executable).parent / "moodtune")
# Rendering all 277 demo clips takes minutes: `moodtune ingest --demo` runs without sound in tests
# unless a test points it at a rendered subset (tests/support/demo_sound.py), as `demo_catalog` does.
os.environ.setdefault("MOODTUNE_INGEST_DEMO_SOUND", "off")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random model artifact, built through training/export.py."""
    return build_tiny_artifact(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def shipped_classifier(tmp_path_factory):
    """The real classifier service with the shipped model, for the whole session."""
    with classifier_service(DEFAULT_MODEL_DIR, tmp_path_factory.mktemp("shipped-classifier")) as service:
        yield service


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory, shipped_classifier):
    """The demo catalog crawled from its mirror once per session (no Redis), labelled by the service,
    with the generated sound of a subset (`tests.support.demo_sound.SUBSET`: 24 songs with lyrics and
    the 5 without).

    Tests that open the store themselves use `copy_of_demo_store`: the embedded Qdrant allows one
    process at a time.
    """
    from tests.support.demo_sound import render_subset, sound_env

    tmp = tmp_path_factory.mktemp("demo-catalog")
    sound = sound_env(render_subset(tmp / "demo-sound"))
    env = {**os.environ, "MOODTUNE_CLASSIFIER_ADDR": shipped_classifier.address,
           "MOODTUNE_QDRANT_PATH": str(tmp / "qdrant"), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0", **sound}
    run = subprocess.run([MOODTUNE, "ingest", "--demo", "--job-dir", str(tmp / "job")], env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return {"qdrant": tmp / "qdrant", "job": tmp / "job", "run": run, "sound_env": sound,
            "sound_dir": tmp / "demo-sound", "report": json.loads((tmp / "job" / "report.json").read_text())}


@pytest.fixture
def copy_of_demo_store(demo_catalog, tmp_path):
    target = tmp_path / "qdrant"
    shutil.copytree(demo_catalog["qdrant"], target)
    return target


@pytest.fixture(scope="session")
def shipped_speech(tmp_path_factory):
    """The real speech service with the Korean Vosk model, for the whole session."""
    with speech_service(tmp_path_factory.mktemp("speech")) as service:
        yield service


@pytest.fixture(scope="session")
def tiny_audio_model_dir(tmp_path_factory):
    """A tiny audio model artifact trained on synthetic mels through training/audio (seconds)."""
    from tests.support.tiny_audio import build_tiny_audio_artifact

    return build_tiny_audio_artifact(tmp_path_factory.mktemp("tiny-audio-model"))
