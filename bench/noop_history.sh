#!/bin/sh
# No-op reruns of one planted sweep (bench/planted_sweep.sh: N
# cells = 2N stages) as its provenance history grows: a cold run, then
# RUNS no-op reruns one after another, printing the wall time, CPU and peak
# RSS of the reruns that complete 1, 10, 25, 50, 100 ... runs of history
# (the median of that rerun and the two before it), with the database's
# size. A no-op should cost what it reruns, not what the database holds.
# Usage: bench/noop_history.sh [N [RUNS]]   (default: 5000 cells, 100 reruns;
# EIGENLAB=path selects the binary)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${EIGENLAB:-bin/eigenlab}")
n=${1:-5000}
runs=${2:-100}
# The project directory, not /tmp (see bench/scale_curve.sh); BENCH_DIR overrides.
tmp=$(mktemp -d -p "${BENCH_DIR:-$PWD}" .bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bench/planted_sweep.sh scale "$n" >"$tmp/sweep.yaml"
cd "$tmp"
echo "cores: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $((2 * n)) stages"
echo
echo "| runs in the database | no-op wall | CPU | peak RSS | provenance.db |"
echo "| --- | --- | --- | --- | --- |"
"$bin" run -j 2 sweep.yaml >/dev/null 2>err || { cat err >&2; exit 1; }
: >times
for i in $(seq "$runs"); do
	/usr/bin/time -f '%e %U %S %M' -a -o times "$bin" run -j 2 sweep.yaml >/dev/null 2>err || { cat err >&2; exit 1; }
	case $i in 1 | 10 | 25 | 50 | 100 | 200 | 500 | 1000)
		tail -n 3 times | sort -n | awk -v runs=$((i + 1)) -v mb="$(du -m .eigenlab/provenance.db | cut -f1)" '
			{w[NR] = $1; c[NR] = $2 + $3; m[NR] = $4}
			END {k = int((NR + 1) / 2); printf "| %d | %.2f s | %.2f s | %d MB | %d MB |\n", runs, w[k], c[k], m[k] / 1024, mb}' ;;
	esac
done
