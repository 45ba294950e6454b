#!/bin/sh
# Training throughput of stages/nn/train against PyTorch CPU on the same networks,
# batches and optimiser, the same thread count on both sides, processes interleaved in
# one run: one epoch of N random samples (BenchmarkEpoch with EIGENLAB_BENCH_N; the
# peer is bench/torch_train.py) of the shallow MLP (784-2000-10) and the CNN
# (NewCNN(1, 28, 28, [16, 32], [1000], 10)), SGD momentum 0.9, batch 128, for each
# thread count in THREADS and dtype in DTYPES; the better of ROUNDS processes per side
# and each side's peak RSS (/usr/bin/time). Prints the BENCHMARKS.md table.
# Both sides run under taskset on the first `threads` CPUs: eigenlab sizes its OpenBLAS
# pool to the CPUs it may use (stages/linalg), torch gets set_num_threads(threads).
# Usage: bench/train_vs_torch.sh   (from the repository root)
#   N=10000 ROUNDS=2 THREADS="1 2" DTYPES=float32 by default (DTYPES="float32 float64"
#   adds the float64 rows).
set -eu
cd "$(dirname "$0")/.."
N=${N:-10000}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-1 2}
DTYPES=${DTYPES:-float32}
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
	export OPENBLAS_CORETYPE=SkylakeX
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/train.test" ./stages/nn/train

echo "N=$N rounds=$ROUNDS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| network | dtype | threads | eigenlab samples/s | torch samples/s | ratio eigenlab/torch | eigenlab peak RSS | torch peak RSS |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for dtype in $DTYPES; do
	for net in mlp cnn; do
		for th in $THREADS; do
			: >"$tmp/go" && : >"$tmp/pt"
			cpus=$(seq -s, 0 $((th - 1)))
			r=0
			while [ "$r" -lt "$ROUNDS" ]; do
				OPENBLAS_NUM_THREADS=$th EIGENLAB_BENCH_N=$N /usr/bin/time -f '%M' -o "$tmp/rss" \
					taskset -c "$cpus" "$tmp/train.test" -test.run '^$' -test.bench "^BenchmarkEpoch/$net/$dtype\$" -test.benchtime 1x >"$tmp/out"
				awk -v rss="$(cat "$tmp/rss")" '/^BenchmarkEpoch/ {for (i = 1; i < NF; i++) if ($(i+1) == "samples/s") print $i, rss}' "$tmp/out" >>"$tmp/go"
				OMP_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th /usr/bin/time -f '%M' -o "$tmp/rss" \
					taskset -c "$cpus" /usr/bin/python3 bench/torch_train.py "$net" "$N" "$th" "$dtype" >"$tmp/out"
				awk -v rss="$(cat "$tmp/rss")" '{print $3, rss}' "$tmp/out" >>"$tmp/pt"
				r=$((r + 1))
			done
			sort -gr "$tmp/go" | head -1 >"$tmp/gobest"
			sort -gr "$tmp/pt" | head -1 >"$tmp/ptbest"
			paste -d' ' "$tmp/gobest" "$tmp/ptbest" | awk -v net="$net" -v dt="$dtype" -v th="$th" '{
				printf "| %s | %s | %s | %.0f | %.0f | %.2f | %.0f MiB | %.0f MiB |\n", net, dt, th, $1, $3, $1/$3, $2/1024, $4/1024
			}'
		done
	done
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
