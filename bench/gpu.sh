#!/usr/bin/env bash
# One prepared run for a GPU machine (H100/H200): checks bf16 parity and times pool
# scoring and teacher training against the baselines, in well under 8 minutes.
# The machine brings torch, transformers and pandas; this needs only the repo's src/
# and a folder with the tokenizer/config (and optionally weights) plus a data parquet:
#   bash bench/gpu.sh [DATA_PARQUET] [MODEL_DIR]      (add SMALL=1 for a CPU dry run)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-.gpu/test.parquet}
MODEL=${2:-.gpu/model}
export PYTHONPATH="$PWD/src:$PWD/bench:${PYTHONPATH:-}" HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || echo "no GPU: CPU dry run"
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
python3 bench/gpu_bench.py --data "$DATA" --model-dir "$MODEL" ${SMALL:+--small}
