#!/bin/bash
# The committed benchmark runs, one after another (one heavy process at a
# time on a shared 2-core machine). Seeds and methods were reduced from the
# issue's 10 seeds where a run would not fit the time we had; see
# benchmarks/README.md.
set -u
cd "$(dirname "$0")/.."
R=benchmarks/results
run() { name=$1; shift; echo "== $name start $(date +%T)"
        astronomaly-ahunt benchmark "$@" --output-dir "$R/$name" > "$R/$name.log" 2>&1
        echo "== $name rc=$? end $(date +%T)"; }
run digits digits --seeds 10
run fmnist-paper fmnist-paper --seeds 2
run first-radio first-radio --seeds 2
run fmnist-two-anomalies fmnist-two-anomalies --seeds 1 \
    --methods ahunt static-al iforest-raw iforest-dynamic-latent
run digits-variants digits --seeds 3 \
    --methods ahunt ahunt-anomalous ahunt-random ahunt-focal ahunt-isomax ahunt-paper
run fmnist-strategies fmnist-paper --seeds 2 --methods ahunt-anomalous ahunt-random
run first-radio-compact benchmarks/first-radio-compact.json --seeds 1
