"""The speech contract every part shares: the transcript, and why a recording was refused.

The speech service, the recommender (which calls it), the gateway (which turns refusals into
HTTP statuses) and the CLI import this module, so a reason has one name everywhere. Over gRPC a
refusal is INVALID_ARGUMENT with the reason in the trailing metadata key `moodtune-error`.
"""

from __future__ import annotations

from dataclasses import dataclass

from moodtune.v1 import speech_pb2

REASON_KEY = "moodtune-error"
TOO_LARGE = "audio_too_large"
UNSUPPORTED = "unsupported_audio"
NO_SPEECH = "no_speech"


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # mean per-word confidence, 0..1
    seconds: float  # the recording's duration
    model: str = ""

    def to_proto(self) -> speech_pb2.Transcript:
        return speech_pb2.Transcript(text=self.text, confidence=self.confidence, seconds=self.seconds,
                                     model=self.model)

    @classmethod
    def from_proto(cls, message: speech_pb2.Transcript) -> Transcript:
        return cls(message.text, message.confidence, message.seconds, message.model)

    def as_json(self) -> dict:
        return {"text": self.text, "confidence": round(self.confidence, 4), "seconds": round(self.seconds, 3)}


class SpeechRefused(Exception):
    """A recording the recogniser will not turn into text; `reason` is one of the names above."""

    reason = ""


class AudioTooLarge(SpeechRefused):
    reason = TOO_LARGE


class UnsupportedAudio(SpeechRefused):
    reason = UNSUPPORTED


class NoSpeech(SpeechRefused):
    reason = NO_SPEECH

    def __init__(self, message: str = "no speech heard: nothing in the recording could be turned into words"):
        super().__init__(message)


REFUSALS = {cls.reason: cls for cls in (AudioTooLarge, UnsupportedAudio, NoSpeech)}


class SpeechUnavailable(RuntimeError):
    """The recogniser cannot answer now (down, loading, timed out): retry later."""


async def abort_refused(context, exc: SpeechRefused) -> None:
    """INVALID_ARGUMENT with the reason in trailing metadata: how every service passes a refusal on."""
    import grpc

    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc), trailing_metadata=((REASON_KEY, exc.reason),))


def refusal_from_metadata(metadata, details: str) -> SpeechRefused | None:
    """The refusal that a gRPC error's trailing metadata names, if any."""
    reason = dict(metadata or ()).get(REASON_KEY)
    cls = REFUSALS.get(reason)
    return cls(details) if cls is not None else None


def audio_message_bytes(settings) -> int:
    """gRPC messages that carry audio must fit a whole recording (plus the request's other fields)."""
    return max(settings.grpc_max_message_bytes, settings.speech_max_audio_bytes + 64 * 1024)
