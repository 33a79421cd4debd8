"""Two ways to transcribe with one interface: in-process (loads the model) or over gRPC.

Callers (the recommender, the CLI) pick with MOODTUNE_SPEECH_ADDR: unset loads the Vosk model in
this process on first use, an address calls the speech service. Both raise the refusals of
services.common.speech, and SpeechUnavailable when the recogniser cannot answer.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import grpc

from moodtune.v1 import speech_pb2, speech_pb2_grpc
from services.common.grpc_client import channel
from services.common.settings import CommonSettings, SpeechSettings
from services.common.speech import (
    SpeechUnavailable, Transcript, UnsupportedAudio, audio_message_bytes, refusal_from_metadata,
)

SERVICE_NAME = speech_pb2.DESCRIPTOR.services_by_name["Speech"].full_name


class Speech(Protocol):
    def transcribe(self, audio: bytes, content_type: str = "") -> Transcript: ...

    def close(self) -> None: ...


class LocalSpeech:
    """The recogniser in this process, loaded on the first recording (seconds, and ~300 MB)."""

    def __init__(self, settings: SpeechSettings):
        self.settings = settings
        self._recognizer = None
        self._lock = threading.Lock()

    def recognizer(self):
        with self._lock:
            if self._recognizer is None:
                from services.speech.recognizer import SpeechRecognizer

                try:
                    self._recognizer = SpeechRecognizer(self.settings.speech_model_dir,
                                                        self.settings.speech_max_seconds,
                                                        self.settings.speech_max_audio_bytes)
                except Exception as exc:  # a missing model directory or package: say so, retry later
                    raise SpeechUnavailable(f"the speech model cannot be loaded: {exc}") from exc
            return self._recognizer

    def transcribe(self, audio: bytes, content_type: str = "") -> Transcript:
        return self.recognizer().transcribe(audio, content_type)

    def close(self) -> None:
        pass


class RemoteSpeech:
    """Calls the Speech service; every call has a deadline, UNAVAILABLE is retried by gRPC."""

    def __init__(self, address: str, timeout_s: float, max_message_bytes: int, tls_ca: Path | None = None):
        self.address = address
        self.timeout_s = timeout_s
        self.channel = channel(address, max_message_bytes, retry_service=SERVICE_NAME, tls_ca=tls_ca)
        self.stub = speech_pb2_grpc.SpeechStub(self.channel)

    def transcribe(self, audio: bytes, content_type: str = "") -> Transcript:
        try:
            response = self.stub.Transcribe(speech_pb2.TranscribeRequest(audio=audio, content_type=content_type),
                                            timeout=self.timeout_s)
        except grpc.RpcError as exc:
            refusal = refusal_from_metadata(exc.trailing_metadata(), exc.details() or "")
            if refusal is not None:
                raise refusal from None
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise UnsupportedAudio(exc.details() or "the recording was refused") from None
            raise SpeechUnavailable(f"the speech service at {self.address} is unavailable "
                                    f"({exc.code().name}: {exc.details()})") from None
        return Transcript.from_proto(response)

    def close(self) -> None:
        self.channel.close()


def connect(settings: CommonSettings, timeout_s: float = 20.0) -> Speech:
    """The recogniser that the settings name: remote when MOODTUNE_SPEECH_ADDR is set, else in-process."""
    if settings.speech_addr:
        return RemoteSpeech(settings.speech_addr, timeout_s, audio_message_bytes(settings), settings.grpc_tls_ca)
    speech_settings = settings if isinstance(settings, SpeechSettings) else SpeechSettings(
        **settings.model_dump(include=set(CommonSettings.model_fields)))
    return LocalSpeech(speech_settings)
