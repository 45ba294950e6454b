#!/bin/sh
# Times the reduce (SRP) and crossdecomp stages against sklearn/numpy doing the same
# work, Go and Python processes interleaved, ROUNDS rounds (default 3), with the same
# OpenBLAS thread count; prints each process's time and peak RSS (/usr/bin/time).
#   reduce:      BenchmarkReduceSRP2000x100000to8000   vs  bench/sklearn_srp.py 2000
#   crossdecomp: BenchmarkCrossdecomp5000x4000vs5000x1000 vs bench/numpy_crossdecomp.py numpy|sklearn
#   pca:         BenchmarkReducePCA5000x1000 vs bench/sklearn_pca.py (fit_transform, k = 1000)
# Run from the repository root: ROUNDS=3 sh bench/decomp_vs_reference.sh
set -e
ROUNDS=${ROUNDS:-3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}
tmp=$(mktemp -d)
go test -c -o "$tmp/stages.test" ./stages/
rss() { /usr/bin/time -f "    peak RSS %M KB" "$@" 2>&1 | grep -E 'ns/op|peak RSS|: [0-9]'; }
for r in $(seq "$ROUNDS"); do
	echo "round $r (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	rss "$tmp/stages.test" -test.run '^$' -test.bench 'BenchmarkReduceSRP' -test.benchtime 1x
	rss /usr/bin/python3 bench/sklearn_srp.py 2000
	rss "$tmp/stages.test" -test.run '^$' -test.bench 'BenchmarkCrossdecomp' -test.benchtime 1x
	rss /usr/bin/python3 bench/numpy_crossdecomp.py numpy
	rss /usr/bin/python3 bench/numpy_crossdecomp.py sklearn
	rss "$tmp/stages.test" -test.run '^$' -test.bench 'BenchmarkReducePCA' -test.benchtime 1x
	rss /usr/bin/python3 bench/sklearn_pca.py
done
rm -rf "$tmp"
