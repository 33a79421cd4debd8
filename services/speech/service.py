"""The Speech gRPC servicer: recognition on worker threads, refusals as INVALID_ARGUMENT with a reason."""

from __future__ import annotations

import asyncio
import logging

import grpc

from moodtune.v1 import speech_pb2_grpc
from services.common.speech import SpeechRefused, abort_refused
from services.speech.recognizer import SpeechRecognizer

log = logging.getLogger(__name__)


class SpeechServicer(speech_pb2_grpc.SpeechServicer):
    """UNAVAILABLE until the warm-up attaches the recogniser (health says NOT_SERVING meanwhile).

    `workers` bounds the recordings recognised at once: each one keeps a core busy, and a queue is
    kinder to latency than many threads fighting over two cores. The audio is never logged.
    """

    def __init__(self, workers: int):
        self.recognizer: SpeechRecognizer | None = None
        self.slots = asyncio.Semaphore(workers)

    async def Transcribe(self, request, context):
        if self.recognizer is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the speech model is loading; retry shortly")
        async with self.slots:
            try:
                transcript = await asyncio.to_thread(self.recognizer.transcribe, request.audio, request.content_type)
            except SpeechRefused as exc:
                await abort_refused(context, exc)
        log.info("transcribed", extra={"seconds": round(transcript.seconds, 2), "chars": len(transcript.text)})
        return transcript.to_proto()
