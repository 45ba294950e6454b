#!/bin/sh
# Times stages/linalg against numpy on the same operations and inputs, with
# the same OpenBLAS thread count and core type, interleaved in one run, and
# prints the BENCHMARKS.md table: mean of 3 calls per process (go test
# -benchtime 3x with b.Loop; bench/numpy_linalg.py does the same), the better
# of ROUNDS processes per side, and each side's peak RSS (/usr/bin/time).
# Usage: bench/linalg_vs_numpy.sh   (from the repository root; ROUNDS=2 by default)
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(nproc)}"
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
	export OPENBLAS_CORETYPE=SkylakeX
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/linalg.test" ./stages/linalg

echo "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} rounds=$ROUNDS"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| operation | eigenlab | numpy | ratio Go/numpy | eigenlab peak RSS | numpy peak RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
for pair in gram:Gram5000x4000 eigh:SymEig2000 svd:SVD5000x1000 dgemm:DGEMM2000; do
	op=${pair%%:*} bench=${pair#*:}
	: >"$tmp/go" && : >"$tmp/np"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		/usr/bin/time -f '%M' -o "$tmp/rss" "$tmp/linalg.test" -test.run '^$' \
			-test.bench "^Benchmark$bench\$" -test.benchtime 3x >"$tmp/out"
		awk -v rss="$(cat "$tmp/rss")" '/^Benchmark/ {print $3/1e9, rss}' "$tmp/out" >>"$tmp/go"
		/usr/bin/time -f '%M' -o "$tmp/rss" /usr/bin/python3 bench/numpy_linalg.py "$op" >"$tmp/out"
		awk -v rss="$(cat "$tmp/rss")" '{print $2, rss}' "$tmp/out" >>"$tmp/np"
		r=$((r + 1))
	done
	sort -g "$tmp/go" | head -1 >"$tmp/gobest"
	sort -g "$tmp/np" | head -1 >"$tmp/npbest"
	paste -d' ' "$tmp/gobest" "$tmp/npbest" | awk -v op="$op" '{
		g = $1; n = $3
		if (op == "dgemm") { gs = sprintf("%.3f s (%.0f GFLOP/s)", g, 16/g); ns = sprintf("%.3f s (%.0f GFLOP/s)", n, 16/n) }
		else { gs = sprintf("%.3f s", g); ns = sprintf("%.3f s", n) }
		printf "| %s | %s | %s | %.2f | %.0f MiB | %.0f MiB |\n", op, gs, ns, g/n, $2/1024, $4/1024
	}'
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
