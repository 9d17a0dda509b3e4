#!/bin/bash
# The committed benchmark runs, one after another (one heavy process at a
# time on a shared 2-core machine). Where a run has fewer than the issue's
# 10 seeds, benchmarks/README.md says why.
set -u
cd "$(dirname "$0")/.."
R=benchmarks/results
run() { name=$1; shift; echo "== $name start $(date +%T)"
        astronomaly-ahunt benchmark "$@" --force --output-dir "$R/$name" > "$R/$name.log" 2>&1
        echo "== $name rc=$? end $(date +%T)"; }
case "${1:-all}" in
  main|all)
    run fmnist-paper fmnist-paper --seeds 10
    run first-radio first-radio --seeds 10
    run digits digits --seeds 10 ;;&
  extra|all)
    run fmnist-two-anomalies fmnist-two-anomalies --seeds 3 \
        --methods ahunt ahunt-tuned static-al iforest-raw iforest-dynamic-latent
    run digits-variants digits --seeds 3 \
        --methods ahunt ahunt-anomalous ahunt-random ahunt-focal ahunt-isomax ahunt-paper
    run fmnist-strategies fmnist-paper --seeds 2 --methods ahunt-anomalous ahunt-random
    run first-radio-compact benchmarks/first-radio-compact.json --seeds 1 ;;&
  splits|all)
    # Fashion-MNIST splits no preset was tuned on
    for split in fmnist-sneaker-bag fmnist-dress-coat fmnist-sandal-trouser; do
      run $split benchmarks/$split.json --seeds 3 \
          --methods ahunt ahunt-tuned static-al iforest-raw aadforest
    done ;;
esac
