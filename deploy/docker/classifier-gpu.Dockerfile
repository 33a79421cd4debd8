# syntax=docker/dockerfile:1
# moodtune classifier on an NVIDIA GPU: the same code as classifier.Dockerfile, with onnxruntime-gpu
# in place of onnxruntime and MOODTUNE_CLASSIFIER_PROVIDER=cuda. gRPC :50051, Prometheus :9101.
# Build from the repository root:
#   docker build -f deploy/docker/classifier-gpu.Dockerfile -t moodtune/classifier-gpu:0.1.0 .
# Run with a GPU: `docker run --gpus 1 ...` (NVIDIA Container Toolkit), or Kubernetes' nvidia.com/gpu.

# onnxruntime-gpu 1.31 is built against CUDA 13 and cuDNN 9; this runtime image carries both
# (cuBLAS, cuFFT, cuRAND, cuDNN). The host driver must support CUDA 13 (R580 or newer).
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
ARG ONNXRUNTIME_GPU=onnxruntime-gpu==1.31.1

# ---- builder: Ubuntu 24.04's Python 3.12 and a venv with the serving dependencies ----
FROM ${CUDA_IMAGE} AS builder
ARG ONNXRUNTIME_GPU
ARG DEBIAN_FRONTEND=noninteractive
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# The distribution's Python, version fixed by the pinned base image (hence no apt version pins).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md ./
# pipefail: a failing step in a pipe fails the build.
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# pyproject's dependencies with onnxruntime swapped for onnxruntime-gpu (both install the same `onnxruntime`
# module: never both in one environment).
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      | grep -v '^onnxruntime' > /tmp/requirements.txt \
 && echo "${ONNXRUNTIME_GPU}" >> /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY protos/ protos/
COPY services/ services/
# In place (-e), as in classifier.Dockerfile: the wheel would leave out the non-Python files the services read.
RUN pip install --no-deps -e . \
 && python -m compileall -q /app/services /app/protos \
 && python -c "import services.cli, moodtune.v1.classifier_pb2, onnxruntime, tokenizers" \
 && python -c "import onnxruntime as o, sys; sys.exit('CUDAExecutionProvider' not in o.get_available_providers())" \
 && python -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) for m in ('torch', 'transformers')))"

# ---- runtime: the CUDA runtime image, its Python, the venv, the code and the model; unprivileged ----
FROM ${CUDA_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOODTUNE_MODEL_DIR=/app/models/moodtune-ko-e5-small \
    MOODTUNE_AUDIO_MODEL_DIR=/app/models/moodtune-audio-cnn-demo \
    MOODTUNE_CLASSIFIER_LISTEN="[::]:50051" \
    MOODTUNE_CLASSIFIER_METRICS_PORT=9101 \
    MOODTUNE_CLASSIFIER_PROVIDER=cuda
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
# CUDA start-up takes longer than the CPU build: a longer start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["sh", "-c", "python -m services.common.readiness grpc \"127.0.0.1:${MOODTUNE_CLASSIFIER_LISTEN##*:}\" --timeout 3 || exit 1"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["moodtune"]
CMD ["serve", "classifier"]
