#!/bin/sh
# Prints the sweep the rerun benchmarks run: `load planted` (64×32) →
# `spectrum` (full view, stringer fit, no bootstrap) for seeds 0..CELLS-1,
# i.e. 2×CELLS stages, as the experiment NAME.
# Usage: bench/planted_sweep.sh NAME CELLS
set -eu
[ $# -eq 2 ] || { echo "usage: $0 NAME CELLS" >&2; exit 2; }
cat <<YAML
name: $1
matrix:
  seed: [$(seq -s, 0 $(($2 - 1)))]
stages:
  data:
    kind: load
    params: {source: planted, n: 64, p: 32, alpha: 1.0, seed: \${seed}}
  spectrum:
    kind: spectrum
    inputs: {x: data}
    params: {view: full, estimator: stringer, ranks: [2, 30], n_bootstraps: 0}
YAML
