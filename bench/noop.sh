#!/usr/bin/env bash
# Pipeline overhead: a no-op `dvc exp run` (nothing changed) against DVC's own cost
# (`dvc status` walks the same lock file and hashes). Medians of 5 runs each.
# Run after a full `dvc repro`:  bash bench/noop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
time_of() { local s e; s=$(date +%s.%N); "$@" >/tmp/noop.out 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
status=$(for _ in 1 2 3 4 5; do time_of dvc status; done | median)
repro=$(for _ in 1 2 3 4 5; do time_of dvc repro; done | median)
grep -q "Running stage" /tmp/noop.out && { echo "dvc repro ran a stage: the workspace is not up to date"; exit 1; }
exp=$(for _ in 1 2 3; do time_of dvc exp run; done | median)
grep -q "Running stage" /tmp/noop.out && { echo "dvc exp run ran a stage"; exit 1; }
printf '| what | median seconds |\n| --- | --- |\n| dvc status (DVC'"'"'s own cost) | %s |\n| dvc repro, nothing changed | %s |\n| dvc exp run, nothing changed | %s |\n' "$status" "$repro" "$exp"
echo "no stage ran, so no model was loaded"
