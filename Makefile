# Two entry points for a newcomer: `make repro` (main job) and `make test`.
# Both create or reuse .venv and install only when pyproject.toml changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: repro test lint smoke

# A quick end-to-end check on the real default model (a few minutes on 2 cores).
SMOKE := -S ingest.demo_cards=40 -S ingest.demo_ecom_cards=4 -S pools.runtime_k=2 -S pools.url_try_k=2 \
	-S teacher.epochs=1 -S text.seq_len=96 -S model.epochs=1 -S model.seq_len=32

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first and pinned: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	# the Ray extra too: its tests run with the rest
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $(STAMP)

repro: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

test: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check src tests bench
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

smoke: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc exp run $(SMOKE)
