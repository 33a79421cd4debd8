# moodtune: the two commands are `make run` and `make test`; everything else is a step they use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(wildcard protos/moodtune/v1/*.proto)

.PHONY: help setup setup-dev run test proto model audio-model compare bench load clean

help:
	@echo "make run    start moodtune on this machine (prints the page's URL)"
	@echo "make test   run every test"
	@echo "make setup  install what serving needs into .venv (setup-dev: training and tests too)"
	@echo "make proto  regenerate the Python gRPC code from protos/"
	@echo "make model  rebuild the shipped model in models/ from the corpora"
	@echo "make audio-model  rebuild the shipped audio model from the demo's generated sound (MELS=DIR SONGS=song_meta.json: a Kakao Arena download; PLAYLISTS=train.json: curated moods teach songs without lyrics)"
	@echo "make bench  run the benchmarks in bench/ (about an hour: 700,000-song loads, local mode's alone ~11 min)"
	@echo "make load   a bounded load test of the whole stack on loopback"

# Serving only: no torch, no transformers.
setup:
	@scripts/setup.sh serve

# Serving + training + tests (torch CPU build, transformers, grpcio-tools, pytest, redis-server).
setup-dev:
	@scripts/setup.sh dev

run:
	@scripts/run.sh

test: setup-dev
	@$(PY) -m pytest -q $(PYTEST_ARGS)

proto: setup-dev
	$(PY) -m grpc_tools.protoc -I protos --python_out=protos --pyi_out=protos --grpc_python_out=protos $(PROTOS)

# Rebuilds models/moodtune-ko-e5-small from the corpora (about an hour on 2 CPU cores, minutes on a GPU; README).
model: setup-dev
	$(PY) -m training.build $(MODEL_ARGS)

# The audio model (mels -> emotion + 512-d embedding). Default: the demo catalog's generated sound with
# the lyrics teacher -> models/moodtune-audio-cnn-demo. MELS=DIR SONGS=song_meta.json [TEACHER=vectors.json]
# trains the same model on a Kakao Arena download into models/moodtune-audio-cnn-kakao.
audio-model: setup-dev
ifdef MELS
	$(PY) -m training.audio.build --mels $(MELS) --songs $(SONGS) $(if $(TEACHER),--teacher $(TEACHER)) $(if $(PLAYLISTS),--playlists $(PLAYLISTS)) --out $(or $(OUT),models/moodtune-audio-cnn-kakao) $(AUDIO_ARGS)
else
	$(PY) -m training.audio.build $(if $(PLAYLISTS),--playlists $(PLAYLISTS)) $(AUDIO_ARGS)
endif

# Issue 8's comparison: configurations side by side -> docs/model-comparison.md (hours on 2 CPU cores).
compare: setup-dev
	$(PY) -m training.compare $(COMPARE_ARGS)

load: setup-dev
	$(PY) -m bench.load

bench: setup-dev
	$(PY) -m bench.classifier
	$(PY) -m bench.ingest
	$(PY) -m bench.recommend
	$(PY) -m bench.audio
	$(PY) -m bench.search
	$(PY) -m bench.playlists

clean:
	rm -rf $(VENV) .pytest_cache .moodtune
