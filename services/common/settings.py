"""Every knob of every service, as environment variables named MOODTUNE_*.

Defaults work on one machine (DESIGN.md, "Configuration"). Each service reads
the class it needs; they all share the names in CommonSettings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "moodtune-ko-e5-small"


class CommonSettings(BaseSettings):
    """Settings shared by every part; the names in DESIGN.md's table."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    model_dir: Path = Field(DEFAULT_MODEL_DIR, description="model artifact directory")
    classifier_addr: str | None = Field(
        None, description="classifier gRPC address; unset = load the model in-process"
    )
    recommender_addr: str = Field("127.0.0.1:50052", description="recommender gRPC address")
    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded")
    qdrant_api_key: str | None = Field(None, description="Qdrant API key", repr=False)
    qdrant_path: Path = Field(Path(".moodtune/qdrant"), description="embedded Qdrant directory")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis; unreachable = no cache")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: Literal["json", "text"] = Field("json", description="json for machines, text for people")
    grpc_max_message_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="largest gRPC message")
    grpc_grace_seconds: float = Field(10.0, ge=0, description="SIGTERM: time for in-flight calls")


class ClassifierSettings(CommonSettings):
    """The EmotionClassifier service (env MOODTUNE_CLASSIFIER_*)."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    classifier_listen: str = Field("127.0.0.1:50051", description="address the service binds")
    classifier_metrics_port: int = Field(9101, ge=0, le=65535, description="Prometheus port; 0 = off")
    classifier_provider: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="auto = CUDA when onnxruntime-gpu and a GPU are present, else CPU"
    )
    classifier_intra_op_threads: int = Field(0, ge=0, description="ONNX Runtime threads; 0 = all cores")
    classifier_inter_op_threads: int = Field(1, ge=0, description="ONNX Runtime inter-op threads")
    classifier_max_batch: int = Field(64, ge=1, le=4096, description="texts per inference call")
    classifier_max_delay_ms: float = Field(
        2.0, ge=0, description="how long the first text waits for others to join its batch"
    )
    classifier_max_texts: int = Field(256, ge=1, description="texts per Classify request")
    classifier_max_utterance_chars: int = Field(2000, ge=1, description="characters per UTTERANCE")
    classifier_max_lyrics_chars: int = Field(20000, ge=1, description="characters per LYRICS text")
    classifier_window_lines: int = Field(4, ge=1, description="lyric lines per window at most")
