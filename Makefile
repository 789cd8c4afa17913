# Two entry points for a newcomer: `make repro` (main job) and `make test`.
# Both create or reuse .venv and install only when pyproject.toml changed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RAY_STAMP := $(VENV)/.installed-ray
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
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# the Ray extra for the tests, whose Ray ones run with the rest; `make repro` does not need it
$(RAY_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $(RAY_STAMP)

repro: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

test: $(RAY_STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/ruff check src tests bench scripts
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts

smoke: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc exp run $(SMOKE)
