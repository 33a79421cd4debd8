# moodtune: the two commands are `make run` and `make test`; everything else is a step they use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROTOS := $(wildcard protos/moodtune/v1/*.proto)

.PHONY: help setup setup-dev run test proto model bench clean

help:
	@echo "make run    start moodtune on this machine (prints the page's URL)"
	@echo "make test   run every test"
	@echo "make setup  install what serving needs into .venv (setup-dev: training and tests too)"
	@echo "make proto  regenerate the Python gRPC code from protos/"
	@echo "make model  rebuild the shipped model in models/ from the corpora"
	@echo "make bench  run the benchmarks in bench/"

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

# Rebuilds models/moodtune-ko-e5-small from the corpora (about N minutes on 2 CPU cores; see README).
model: setup-dev
	$(PY) -m training.build $(MODEL_ARGS)

bench: setup-dev
	$(PY) -m bench.classifier

clean:
	rm -rf $(VENV) .pytest_cache .moodtune
