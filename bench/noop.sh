#!/usr/bin/env bash
# Pipeline overhead: a no-op `dvc exp run` / `dvc repro` here (nothing changed) against the
# same commands in a throw-away repo with one trivial stage, i.e. DVC's own cost.
# Medians of 5 runs (3 for exp run). Run after a full `dvc repro`:  bash bench/noop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
time_of() { local s e; s=$(date +%s.%N); "$@" >/tmp/noop.out 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ran_nothing() { if grep -q "Running stage" /tmp/noop.out; then echo "$1 ran a stage: the workspace is not up to date"; exit 1; fi; }
measure() {  # prints: status repro exp-run medians
  local st re ex
  st=$(for _ in 1 2 3 4 5; do time_of dvc status; done | median)
  re=$(for _ in 1 2 3 4 5; do time_of dvc repro; done | median); ran_nothing "dvc repro"
  ex=$(for _ in 1 2 3; do time_of dvc exp run; done | median); ran_nothing "dvc exp run"
  echo "$st $re $ex"
}
read -r our_status our_repro our_exp < <(measure)
tiny=$(mktemp -d)
(cd "$tiny" && git init -q && git config user.email b@x && git config user.name bench && dvc init -q \
  && dvc stage add -q -n trivial -o out.txt 'echo hi > out.txt' && dvc repro -q && git add -A && git commit -qm init)
read -r dvc_status dvc_repro dvc_exp < <(cd "$tiny" && measure)
rm -rf "$tiny"
printf '| command, nothing changed | this pipeline (s) | one trivial stage (s) | overhead (s) |\n| --- | --- | --- | --- |\n'
for row in "dvc status:$our_status:$dvc_status" "dvc repro:$our_repro:$dvc_repro" "dvc exp run:$our_exp:$dvc_exp"; do
  IFS=: read -r name ours base <<< "$row"
  printf '| %s | %.2f | %.2f | %+.2f |\n' "$name" "$ours" "$base" "$(echo "$ours - $base" | bc)"
done
echo "no stage ran, so no model was loaded"
