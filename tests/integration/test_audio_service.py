"""ClassifyAudio on the real classifier process, and `moodtune classify --mel/--audio`."""

from __future__ import annotations

import json
import os
import subprocess

import grpc
import numpy as np
import pytest

from moodtune.v1 import classifier_pb2, classifier_pb2_grpc
from services.classifier.audio_core import AudioInput
from services.classifier.client import RemoteClassifier
from services.common.grpc_client import channel
from tests.conftest import MOODTUNE
from tests.support.audio_files import encode, tone
from tests.support.processes import classifier_service, metric

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audio_classifier(tiny_model_dir, tiny_audio_model_dir, tmp_path_factory):
    with classifier_service(tiny_model_dir, tmp_path_factory.mktemp("audio-classifier"),
                            MOODTUNE_AUDIO_MODEL_DIR=tiny_audio_model_dir,
                            MOODTUNE_CLASSIFIER_MAX_AUDIO_ITEMS=4) as service:
        yield service


def mel(frames: int = 1876, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(-30, 15, (48, frames)).astype(np.float32)


def test_mels_and_audio_files_are_heard(audio_classifier):
    client = RemoteClassifier(audio_classifier.address)
    wav = encode(tone(3, 44100), 44100, "wav", channels=2)
    results = client.classify_audio([AudioInput(mel=mel()), AudioInput(mel=mel(300, 1)),
                                     AudioInput(audio=wav, format="wav"), AudioInput(audio=wav)])
    assert [r.frames for r in results] == [1876, 300, 189, 189]
    for r in results:
        assert abs(sum(r.probabilities) - 1) < 1e-4 and len(r.embedding) == 512
        assert abs(np.linalg.norm(r.embedding) - 1) < 1e-3
    assert results[2].probabilities == pytest.approx(results[3].probabilities, abs=1e-6)  # the hint changes nothing
    info = client.model_info()
    assert info.audio.version == "tiny-audio-0" and info.audio.embedding_dim == 512 and info.audio.bands == 48
    assert "10*log10" in info.audio.db_convention and info.name == "tiny-random"
    assert metric(audio_classifier.metrics(), "moodtune_classifier_audio_batch_size_count") >= 2  # warm-up + call
    client.close()


@pytest.mark.parametrize("items, message", [
    ([], "items is empty"),
    ([classifier_pb2.AudioItem(mel=classifier_pb2.MelFrames(bands=10, frames=100, values=[0.0] * 1000))],
     r"items\[0\]: mel has shape \(10, 100\)"),
    ([classifier_pb2.AudioItem(mel=classifier_pb2.MelFrames(bands=48, frames=200, values=[0.0] * 10))],
     "holds 10 values"),
    ([classifier_pb2.AudioItem(mel=classifier_pb2.MelFrames(bands=48, frames=50, values=[0.0] * 2400))],
     "at least 125"),
    ([classifier_pb2.AudioItem(mel=classifier_pb2.MelFrames(bands=48, frames=200, values=[float("nan")] * 9600))],
     "NaN"),
    ([classifier_pb2.AudioItem(audio=classifier_pb2.EncodedAudio(data=b""))], "empty"),
    ([classifier_pb2.AudioItem(audio=classifier_pb2.EncodedAudio(data=b"not audio" * 100, format="mp3"))],
     "cannot decode"),
    ([classifier_pb2.AudioItem()], "neither a mel nor audio"),
    ([classifier_pb2.AudioItem(audio=classifier_pb2.EncodedAudio(data=b"x"))] * 5, "5 items in one request; the limit is 4"),
])
def test_bad_items_are_invalid_argument(audio_classifier, items, message):
    stub = classifier_pb2_grpc.EmotionClassifierStub(channel(audio_classifier.address, 4 * 1024 * 1024))
    with pytest.raises(grpc.RpcError) as error:
        stub.ClassifyAudio(classifier_pb2.ClassifyAudioRequest(items=items), timeout=30)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert __import__("re").search(message, error.value.details()), error.value.details()


def test_without_an_audio_model_it_is_failed_precondition(tiny_model_dir, tmp_path):
    with classifier_service(tiny_model_dir, tmp_path, MOODTUNE_AUDIO_MODEL_DIR="") as service:
        client = RemoteClassifier(service.address)
        with pytest.raises(grpc.RpcError) as error:
            client.classify_audio([AudioInput(mel=mel())])
        assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert not client.model_info().HasField("audio")
        assert client.classify(["안녕"])[0].probabilities  # text still works
        client.close()


def _cli(args, env, **kwargs):
    return subprocess.run([MOODTUNE, "classify", *args], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300, **kwargs)


def test_cli_mel_file(tiny_audio_model_dir, tmp_path):
    env = {"MOODTUNE_AUDIO_MODEL_DIR": str(tiny_audio_model_dir)}
    good, bad = tmp_path / "song.npy", tmp_path / "bad.npy"
    np.save(good, mel().astype(np.float16))  # the dataset's dtype and shape
    np.save(bad, np.zeros((10, 100), np.float32))
    run = _cli(["--mel", str(good), "--embedding"], env)
    assert run.returncode == 0, run.stderr
    (line,) = [json.loads(x) for x in run.stdout.splitlines()]
    assert line["file"] == str(good) and line["frames"] == 1876 and len(line["embedding"]) == 512
    assert abs(sum(line["probabilities"].values()) - 1) < 1e-4 and line["label"] in line["probabilities"]
    run = _cli(["--mel"], env, input=f"{good}\n{bad}\n")  # paths on stdin; a bad file does not stop the rest
    assert run.returncode == 2
    assert "(10, 100)" in run.stderr and len(run.stdout.splitlines()) == 1
    assert "embedding" not in json.loads(run.stdout)


def test_cli_audio_every_format_rate_and_layout(tiny_audio_model_dir, tmp_path):
    files = []
    for container in ("wav", "flac", "ogg", "mp3"):
        for rate in (8000, 16000, 44100, 48000):
            for channels in (1, 2):
                path = tmp_path / f"tone-{rate}-{channels}.{container}"
                path.write_bytes(encode(tone(2.5, rate), rate, container, channels))
                files.append(str(path))
    run = _cli(["--audio", *files], {"MOODTUNE_AUDIO_MODEL_DIR": str(tiny_audio_model_dir)})
    assert run.returncode == 0, run.stderr
    lines = [json.loads(x) for x in run.stdout.splitlines()]
    assert [x["file"] for x in lines] == files
    for x in lines:
        assert abs(sum(x["probabilities"].values()) - 1) < 1e-4 and 150 <= x["frames"] <= 165


def test_cli_against_the_service(audio_classifier, tmp_path):
    path = tmp_path / "song.npy"
    np.save(path, mel())
    bad = tmp_path / "short.wav"
    bad.write_bytes(encode(tone(1.0, 16000), 16000, "wav"))
    run = _cli(["--mel", str(path), "--server", audio_classifier.address], {})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["frames"] == 1876
    run = _cli(["--audio", str(bad), "--server", audio_classifier.address], {})
    assert run.returncode == 2 and "INVALID_ARGUMENT" in run.stderr and "at least 2 s" in run.stderr
