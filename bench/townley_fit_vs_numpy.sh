#!/bin/sh
# One full-size cross-decomposition of townley-powerlaw-init (the `align` stage: 2000 photo
# patches, x a convnet6 layer projected to 4000 features, y 12288 MobileNetV2 units, 8 folds
# grouped by photo, 200-draw permutation null) against the floor of its dense linear algebra
# in numpy/scipy on the same OpenBLAS (bench/numpy_townley_fit.py: Grams, pivoted Choleskys,
# the fold SVDs, triangular solves, the sign rule's product, projections; nothing else).
# The one cell's inputs are made once in DIR (default: a temporary directory; photos, one
# network's forward pass, the pretrained network: about a minute), then ROUNDS rounds
# (default 3) alternate `eigenlab run --force align` and the numpy script.
# A temporary DIR is removed at the end; a given one is kept (its inputs serve the next call).
# Run from the repository root after `make build` and `make data models` (the photos and the
# pretrained weights): ROUNDS=3 sh bench/townley_fit_vs_numpy.sh
set -e
ROUNDS=${ROUNDS:-3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
bin=$(pwd)/bin/eigenlab
script=$(pwd)/bench/numpy_townley_fit.py
if [ -n "${DIR:-}" ]; then
	dir=$DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
fi
cd "$dir"
cell="--set weight_alpha=[1.0] --set seed=[0] --set layer=[conv4]"
# shellcheck disable=SC2086
"$bin" run townley-powerlaw-init $cell >setup.log 2>&1 || { cat setup.log >&2; exit 1; }
for r in $(seq "$ROUNDS"); do
	echo "round $r (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	# shellcheck disable=SC2086
	/usr/bin/time -f "  eigenlab process: %e s, peak RSS %M KB" "$bin" run townley-powerlaw-init $cell --force align 2>&1 | grep -E '^ran +align|process'
	/usr/bin/time -f "  numpy process: %e s, peak RSS %M KB" /usr/bin/python3 "$script" 1 2>&1 | sed 's/^/  /'
done
