"""The `moodtune` console script, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import classifier_service

MOODTUNE = str(Path(sys.executable).parent / "moodtune")


def moodtune(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([MOODTUNE, *args], input=stdin, capture_output=True, text=True, timeout=120)


def parse(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def check_line(line: dict) -> None:
    assert set(line["probabilities"]) == {"anger", "tension", "sadness", "peace", "joy", "neutral"}
    assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert line["label"] == max(line["probabilities"], key=line["probabilities"].get)


def test_classify_arguments(tiny_model_dir):
    result = moodtune("classify", "--model", str(tiny_model_dir), "내일 면접이라 너무 떨려", "점심 뭐 먹지")
    assert result.returncode == 0, result.stderr
    lines = parse(result.stdout)
    assert [l["text"] for l in lines] == ["내일 면접이라 너무 떨려", "점심 뭐 먹지"]
    for line in lines:
        check_line(line)


def test_classify_stdin_lines_and_lyrics(tiny_model_dir):
    result = moodtune("classify", "--model", str(tiny_model_dir), stdin="하나\n\n둘 셋\n")
    assert result.returncode == 0, result.stderr
    assert [l["text"] for l in parse(result.stdout)] == ["하나", "둘 셋"]

    result = moodtune("classify", "--lyrics", "--model", str(tiny_model_dir), "비가 와 / 너를 생각해 / 잠이 안 와")
    assert result.returncode == 0, result.stderr
    (line,) = parse(result.stdout)
    check_line(line)
    assert line["highlight"] == "비가 와\n너를 생각해\n잠이 안 와"


def test_classify_through_a_running_service(tiny_model_dir, tmp_path):
    with classifier_service(tiny_model_dir, tmp_path) as service:
        remote = moodtune("classify", "--server", service.address, "오늘 너무 행복해")
        local = moodtune("classify", "--model", str(tiny_model_dir), "오늘 너무 행복해")
        bad = moodtune("classify", "--server", service.address, "  ")
    assert remote.returncode == 0, remote.stderr
    assert parse(remote.stdout)[0]["probabilities"] == pytest.approx(parse(local.stdout)[0]["probabilities"], abs=1e-4)
    assert bad.returncode == 2 and "INVALID_ARGUMENT" in bad.stderr and "texts[0]" in bad.stderr


def test_clear_errors_for_bad_input_and_missing_model(tiny_model_dir, tmp_path):
    empty = moodtune("classify", "--model", str(tiny_model_dir), "")
    assert empty.returncode == 2 and "texts[0] is empty" in empty.stderr
    missing = moodtune("classify", "--model", str(tmp_path / "nowhere"), "안녕")
    assert missing.returncode == 1 and "model.json is missing" in missing.stderr
    assert "Traceback" not in missing.stderr + empty.stderr


def test_recommend_in_process_and_over_grpc(copy_of_demo_store, shipped_classifier, tmp_path):
    import os

    from tests.support.processes import recommender_service

    env = {**os.environ, "MOODTUNE_QDRANT_PATH": str(copy_of_demo_store), "MOODTUNE_REDIS_URL": "redis://127.0.0.1:1/0"}
    run = lambda *args, stdin="": subprocess.run([MOODTUNE, "recommend", *args], input=stdin, env=env,
                                                 capture_output=True, text=True, timeout=120)
    human = run("오늘 발표 망쳐서 너무 속상해")
    assert human.returncode == 0, human.stderr
    assert "슬픔" in human.stdout.splitlines()[0] and " 1. " in human.stdout
    lines = run("--json", "--mode", "regulate", "--limit", "3", stdin="너무 우울해\n\n합격했어 대박\n")
    assert lines.returncode == 0, lines.stderr
    answers = parse(lines.stdout)
    assert [a["text"] for a in answers] == ["너무 우울해", "합격했어 대박"]
    assert all(len(a["songs"]) == 3 and a["songs"][0]["song"]["song_id"] for a in answers)
    assert answers[1]["emotion"]["label"] == "joy" and answers[0]["mode"] == "regulate"
    bad = run("--limit", "99", "괜찮아")
    assert bad.returncode == 2 and "limit must be between 1 and 50" in bad.stderr

    with recommender_service(copy_of_demo_store, shipped_classifier.address, "redis://127.0.0.1:1/0",
                             tmp_path) as service:
        remote = run("--json", "--server", service.address, "오늘 발표 망쳐서 너무 속상해")
        locked = run("오늘 발표 망쳐서 너무 속상해")  # the embedded store is the server's now
    assert remote.returncode == 0, remote.stderr
    assert parse(remote.stdout)[0]["emotion"]["label"] == "sadness"
    assert locked.returncode == 1 and "--server" in locked.stderr
