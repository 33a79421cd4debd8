"""Optional TLS on the gRPC services: certificate and key from the environment."""

from __future__ import annotations

import subprocess

import grpc
import pytest

from services.classifier.client import RemoteClassifier
from tests.support.processes import classifier_service


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with Debian's openssl."""
    tmp = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    return tmp / "cert.pem", tmp / "key.pem"


def test_classifier_over_tls_and_plaintext_refused(tiny_model_dir, tmp_path, certificate):
    cert, key = certificate
    with classifier_service(tiny_model_dir, tmp_path, MOODTUNE_GRPC_TLS_CERT=cert, MOODTUNE_GRPC_TLS_KEY=key,
                            MOODTUNE_GRPC_TLS_CA=cert) as service:
        secure = RemoteClassifier(service.address, tls_ca=cert)
        assert len(secure.classify(["안녕"])[0].probabilities) == 6
        secure.close()
        plain = RemoteClassifier(service.address, timeout_s=3)
        with pytest.raises(grpc.RpcError) as error:
            plain.classify(["안녕"])
        assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        plain.close()
        assert '"tls": true' in service.log()


def test_secrets_come_from_files_and_are_never_logged(tmp_path, monkeypatch):
    from services.common.settings import RecommenderSettings

    (tmp_path / "key").write_text("qdrant-secret-123\n")
    (tmp_path / "password").write_text("redis-secret-456")
    monkeypatch.setenv("MOODTUNE_QDRANT_API_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("MOODTUNE_REDIS_PASSWORD_FILE", str(tmp_path / "password"))
    settings = RecommenderSettings()
    assert settings.qdrant_api_key == "qdrant-secret-123" and settings.redis_password == "redis-secret-456"
    for shown in (repr(settings), str(settings)):
        assert "qdrant-secret-123" not in shown and "redis-secret-456" not in shown
    monkeypatch.setenv("MOODTUNE_REDIS_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="MOODTUNE_REDIS_PASSWORD_FILE"):
        RecommenderSettings()


@pytest.mark.slow
def test_speech_over_tls_and_plaintext_refused(tmp_path, certificate):
    from services.common.speech import SpeechUnavailable
    from services.speech.client import RemoteSpeech
    from tests.support import speech_audio
    from tests.support.processes import speech_service

    cert, key = certificate
    with speech_service(tmp_path, MOODTUNE_GRPC_TLS_CERT=cert, MOODTUNE_GRPC_TLS_KEY=key,
                        MOODTUNE_GRPC_TLS_CA=cert) as service:
        secure = RemoteSpeech(service.address, 60, 16 << 20, tls_ca=cert)
        assert secure.transcribe(speech_audio.spoken("webm-opus")).text
        secure.close()
        plain = RemoteSpeech(service.address, 3, 16 << 20)
        with pytest.raises(SpeechUnavailable, match="UNAVAILABLE"):
            plain.transcribe(speech_audio.silence(0.5))
        plain.close()
        assert '"tls": true' in service.log()
