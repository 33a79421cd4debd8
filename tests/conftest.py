"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.support.tiny_model import build_tiny_artifact


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny random model artifact, built through training/export.py."""
    return build_tiny_artifact(tmp_path_factory.mktemp("models") / "tiny")
