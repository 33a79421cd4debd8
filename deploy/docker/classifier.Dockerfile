# syntax=docker/dockerfile:1
# moodtune classifier (CPU): `moodtune serve classifier`, gRPC :50051, Prometheus :9101.
# Build from the repository root:
#   docker build -f deploy/docker/classifier.Dockerfile -t moodtune/classifier:0.1.0 .
# The GPU variant is classifier-gpu.Dockerfile (same code, onnxruntime-gpu).

# A pinned tag; CI may also pin the digest (python:3.11.14-slim-trixie@sha256:...) for byte-identical rebuilds.
ARG PYTHON_IMAGE=python:3.11.14-slim-trixie

# ---- builder: a venv with the serving dependencies only (no torch, no transformers) ----
# The same stage in every Python Dockerfile here, so builds share its cached layers.
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, read from pyproject's [project].dependencies: this layer is reused until they change.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY protos/ protos/
COPY services/ services/
# Installed in place (-e): a built wheel leaves out the non-Python files the services read (the gateway's
# static/ page, the demo catalog), so the code runs from /app where they are. --no-deps: installed above.
# The last line fails the build if torch or transformers ever creep into the serving dependencies.
RUN pip install --no-deps -e . \
 && python -m compileall -q /app/services /app/protos \
 && python -c "import services.cli, moodtune.v1.classifier_pb2, onnxruntime, tokenizers" \
 && python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'transformers')))"

# ---- runtime: the slim base, the venv, the code and the model; runs as an unprivileged user ----
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOODTUNE_MODEL_DIR=/app/models/moodtune-ko-e5-small \
    MOODTUNE_AUDIO_MODEL_DIR=/app/models/moodtune-audio-cnn-demo \
    MOODTUNE_CLASSIFIER_LISTEN="[::]:50051" \
    MOODTUNE_CLASSIFIER_METRICS_PORT=9101
# A fixed numeric uid, so Kubernetes can check runAsNonRoot; its home is the only writable place.
RUN groupadd --system --gid 10001 moodtune \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/moodtune --create-home \
      --shell /usr/sbin/nologin moodtune
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
COPY models/moodtune-ko-e5-small/ /app/models/moodtune-ko-e5-small/
COPY models/moodtune-audio-cnn-demo/ /app/models/moodtune-audio-cnn-demo/
WORKDIR /var/lib/moodtune
USER 10001:10001
EXPOSE 50051 9101
# gRPC health SERVING (the model is loaded and warmed up); the port follows MOODTUNE_CLASSIFIER_LISTEN.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["sh", "-c", "python -m services.common.readiness grpc \"127.0.0.1:${MOODTUNE_CLASSIFIER_LISTEN##*:}\" --timeout 3 || exit 1"]
# SIGTERM: health NOT_SERVING, in-flight calls finish (MOODTUNE_GRPC_GRACE_SECONDS), then exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["moodtune"]
CMD ["serve", "classifier"]
