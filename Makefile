# Two entry points for a newcomer: `make repro` (main job) and `make test`.
# Both create or reuse .venv and install only when pyproject.toml changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: repro test test-fast lint smoke

# A quick end-to-end check on the real default model (a few minutes on 2 cores).
SMOKE := -S ingest.demo_cards=40 -S ingest.demo_ecom_cards=4 -S pools.runtime_k=2 -S pools.url_try_k=2 \
	-S teacher.epochs=1 -S text.seq_len=96 -S model.epochs=1 -S model.seq_len=32

# `make repro` installs what the pipeline runs and nothing else (the dev tools are `make test`'s). pip
# byte-compiles every installed file one at a time; compileall does the same on every core: on a fresh
# clone the install took 109 s before, 65 s so (2-core AMD EPYC, BENCHMARKS.md). Its -qq and `|| true`:
# a few files of torch's own tests are Python 3.12 syntax, which pip's compile step skips silently too.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install -q --no-compile torch==2.13.0
	$(BIN)/pip install -q --no-compile -e .
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $(STAMP)

# the tests' tools (pytest, ruff, onnx) and the Ray extra, whose tests run with the rest
$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install -q --no-compile -e '.[dev,ray]'
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $(DEV_STAMP)

repro: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

test: $(DEV_STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check src tests bench scripts
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q

# the quick suite: every test but the end-to-end pipeline runs (`slow`, tests/e2e/); under two minutes on 2 cores
test-fast: $(DEV_STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check src tests bench scripts
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q -m fast

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench scripts

smoke: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc exp run $(SMOKE)
