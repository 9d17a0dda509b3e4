#!/bin/bash
# The catalogue-free comparison (issue 10): `astronomaly-ahunt compare --data`
# on every data set, one after another, 5 rounds of 20 labels, seeds 0-4.
#   benchmarks/run_compare.sh TAG METHOD...   e.g.  run_compare.sh baselines static aadforest random
# writes benchmarks/results/compare/TAG/<data set>/ (compare.csv, compare.png,
# summary.txt) and a .log beside each. PYTHON picks the interpreter (the static
# pipeline needs one with Astronomaly installed), DATA_SETS a subset, SEEDS
# other seeds, CROP the FIRST sets' zoom (compare --crop), EXTRA more compare
# options (another class split: EXTRA="--normal FRII Bent").
set -u
cd "$(dirname "$0")/.."
TAG=$1; shift
R=benchmarks/results/compare/$TAG
mkdir -p "$R"
# Astronomaly's stages refuse an output folder with a '-' in its path; the
# runs happen in a scratch folder without one, and the results are copied
WORK=$(mktemp -d /tmp/ahunt_compare_XXXXXX)
for data in ${DATA_SETS:-digits digits32 fmnist first-compact first-bent}; do
  echo "== $data start $(date +%T)"
  out=$WORK/${data//-/_}
  ${PYTHON:-python} -m astronomaly_ahunt.cli compare --data "$data" --methods "$@" \
      ${CROP:+--crop "$CROP"} ${EXTRA:-} --seeds ${SEEDS:-0 1 2 3 4} --rounds 5 --labels 20 --data-dir "$WORK/data" \
      --output-dir "$out" > "$R/$data.log" 2>&1
  rc=$?
  echo "== $data rc=$rc end $(date +%T)"
  if [ $rc -eq 0 ]; then
    mkdir -p "$R/$data" && cp "$out"/{compare.csv,compare.png,summary.txt} "$R/$data/"
  fi
done
rm -rf "$WORK"
