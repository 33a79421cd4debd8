"""`moodtune serve speech`: load the Vosk model, warm it up, serve Speech over gRPC."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import wave

from moodtune.v1 import speech_pb2, speech_pb2_grpc
from services.common.grpc_server import Service, serve, tls_paths
from services.common.settings import SpeechSettings
from services.common.speech import NoSpeech, audio_message_bytes
from services.speech.audio import RATE
from services.speech.recognizer import SpeechRecognizer
from services.speech.service import SpeechServicer

log = logging.getLogger(__name__)


def silence_wav(seconds: float = 0.5) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes(b"\0\0" * int(RATE * seconds))
    return buffer.getvalue()


def build_service(settings: SpeechSettings) -> Service:
    servicer = SpeechServicer(settings.speech_workers or os.cpu_count() or 1)

    async def warm_up() -> None:
        # Loading takes seconds: health already answers NOT_SERVING meanwhile.
        recognizer = await asyncio.to_thread(SpeechRecognizer, settings.speech_model_dir,
                                             settings.speech_max_seconds, settings.speech_max_audio_bytes)
        try:  # one pass through decoder and recogniser, so the first caller meets warm code
            await asyncio.to_thread(recognizer.transcribe, silence_wav())
        except NoSpeech:
            pass
        servicer.recognizer = recognizer
        log.info("speech model loaded", extra={"model": recognizer.model_name})

    return Service(
        name="speech",
        register=lambda server: speech_pb2_grpc.add_SpeechServicer_to_server(servicer, server),
        full_names=[speech_pb2.DESCRIPTOR.services_by_name["Speech"].full_name],
        warm_up=warm_up,
    )


def run(settings: SpeechSettings) -> None:
    asyncio.run(serve(build_service(settings), settings.speech_listen, max_message_bytes=audio_message_bytes(settings),
                      grace_seconds=settings.grpc_grace_seconds, metrics_port=settings.speech_metrics_port,
                      tls=tls_paths(settings)))
