"""Speech: what decoding and recognition cost on this CPU, side by side.

    python -m bench.speech [--requests N]

1. model load time and resident memory (after loading, and the peak after a 30 s recording);
2. real-time factor (processing seconds per second of audio) for 3, 10 and 30 s recordings of
   webm/opus at 48 kHz, what browsers send (PyAV decodes and resamples it on the way):
   - baseline: a fresh KaldiRecognizer per recording (the first design),
   - candidate: the pooled, reused recogniser that the service runs (services/speech/recognizer.py),
   - and beside them: the same speech as 16 kHz WAV (no decoding work) and decoding alone;
3. the Speech service over gRPC on loopback: 3 s webm recordings at concurrency 1 and 4.

The speech is espeak-ng's Korean (tests/support/speech_audio.py) repeated to length, with pauses, so
the recogniser meets utterance ends as it would in real speech. Writes bench/results/speech.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import numpy as np

from bench.common import measurement, print_table, save
from moodtune.v1 import speech_pb2, speech_pb2_grpc
from services.speech.audio import pcm_chunks
from services.speech.recognizer import SpeechRecognizer
from tests.support import speech_audio
from tests.support.processes import speech_service

SENTENCES = ["너무 슬퍼", "오늘 하루가 정말 힘들었어", "내일은 좋은 일이 있을 거야"]


def memory_mib() -> dict[str, float]:
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def clip(seconds: float) -> tuple[np.ndarray, int]:
    """espeak-ng sentences with 0.4 s pauses, repeated and cut to `seconds`."""
    parts, rate = [], 22_050
    for text in SENTENCES:
        samples, rate = speech_audio.samples_of(speech_audio.espeak_wav(text, 110))
        parts += [samples, np.zeros(int(rate * 0.4), np.float32)]
    one = np.concatenate(parts)
    return np.tile(one, int(np.ceil(seconds * rate / len(one))))[: int(seconds * rate)], rate


def timed(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fresh(recognizer: SpeechRecognizer, audio: bytes):
    """The baseline: the pool emptied first, so the call makes a new KaldiRecognizer."""
    while not recognizer._idle.empty():
        recognizer._idle.get()
    return recognizer.transcribe(audio)


def service_rate(address: str, audio: bytes, requests: int, concurrency: int):
    with grpc.insecure_channel(address, options=[("grpc.max_send_message_length", 16 << 20)]) as channel:
        stub = speech_pb2_grpc.SpeechStub(channel)
        # Warm as many pooled recognisers as will run at once: a new one expands its graph first.
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda _: stub.Transcribe(speech_pb2.TranscribeRequest(audio=audio), timeout=300),
                          range(concurrency)))

        def one(_):
            started = time.perf_counter()
            stub.Transcribe(speech_pb2.TranscribeRequest(audio=audio, content_type="audio/webm"), timeout=300)
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(requests)))
        return measurement(f"service, 3 s webm, concurrency {concurrency}", requests,
                           time.perf_counter() - started, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16, help="recordings per concurrency level")
    args = parser.parse_args()

    before = memory_mib()
    started = time.perf_counter()
    recognizer = SpeechRecognizer()
    load_s = time.perf_counter() - started
    loaded = memory_mib()
    print(f"model load: {load_s:.2f} s; resident {before['VmRSS']:.0f} -> {loaded['VmRSS']:.0f} MiB")

    rtf = {}
    print(f"\n{'recording':10} {'fresh webm':>11} {'pooled webm':>12} {'pooled wav':>11} {'decode':>8} "
          f"{'fresh/pooled':>13}   (real-time factors)")
    for seconds, repeats in ((3, 3), (10, 2), (30, 1)):
        samples, rate = clip(seconds)
        wav = speech_audio.wav_16k(np.interp(np.arange(0, len(samples), rate / 16_000),
                                             np.arange(len(samples)), samples))
        webm = speech_audio.encode(samples, rate, "webm-opus")
        baseline = timed(lambda: fresh(recognizer, webm), repeats) / seconds
        recognizer.transcribe(webm)  # the pool's recogniser has met this recording's words once
        candidate = timed(lambda: recognizer.transcribe(webm), repeats) / seconds
        wav_rtf = timed(lambda: recognizer.transcribe(wav), repeats) / seconds
        decode = timed(lambda: sum(len(c) for c in pcm_chunks(webm, 60)), repeats) / seconds
        rtf[f"{seconds}s"] = {"fresh_webm": round(baseline, 4), "pooled_webm": round(candidate, 4),
                              "pooled_wav16k": round(wav_rtf, 4), "decode_only": round(decode, 4),
                              "fresh_over_pooled": round(baseline / candidate, 3),
                              "webm_bytes": len(webm), "wav_bytes": len(wav)}
        print(f"{seconds:>8} s {baseline:11.3f} {candidate:12.3f} {wav_rtf:11.3f} {decode:8.4f} "
              f"{baseline / candidate:13.2f}")
    peak = memory_mib()
    print(f"resident after the 30 s recordings: {peak['VmRSS']:.0f} MiB (peak {peak['VmHWM']:.0f} MiB)")

    samples, rate = clip(3)
    webm3 = speech_audio.encode(samples, rate, "webm-opus")
    with tempfile.TemporaryDirectory() as tmp:
        with speech_service(Path(tmp), MOODTUNE_SPEECH_WORKERS=0) as service:  # one worker per core
            rows = [service_rate(service.address, webm3, args.requests, c) for c in (1, 4)]
    print()
    print_table(rows, unit="recordings/s")
    print(f"concurrency 4 / 1: {rows[1].rate / rows[0].rate:.2f}x on {os.cpu_count()} cores")

    path = save("speech", {
        "cores": os.cpu_count(), "load_average_at_end": os.getloadavg()[0], "model": recognizer.model_name, "model_load_s": round(load_s, 3),
        "rss_mib": {"before_load": round(before["VmRSS"]), "after_load": round(loaded["VmRSS"]),
                    "after_30s": round(peak["VmRSS"]), "peak": round(peak["VmHWM"])},
        "real_time_factor": rtf, "service": rows,
        "concurrency_4_over_1": round(rows[1].rate / rows[0].rate, 3),
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
