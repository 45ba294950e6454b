#!/bin/sh
# The scale curve of issue "rerun at scale": a planted sweep (load planted →
# spectrum, no bootstrap: bench/planted_sweep.sh) of N
# cells = 2N stages through the binary on disk, cold and
# no-op, for growing N: wall, CPU (user+sys), peak RSS, and the provenance
# rows the run recorded (executions of that run in the database), so a
# reader sees that cost grows linearly and that every row is kept.
# Usage: bench/scale_curve.sh [CELLS ...]   (default: 50 500 5000 50000,
# i.e. 100 to 100,000 stages; EIGENLAB=path selects the binary)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${EIGENLAB:-bin/eigenlab}")
[ $# -gt 0 ] || set -- 50 500 5000 50000
# The project directory, not /tmp: where users keep their sweeps (on this VM /tmp
# creates files ~30x slower than the project disk). BENCH_DIR overrides.
tmp=$(mktemp -d -p "${BENCH_DIR:-$PWD}" .bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "cores: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| stages | run | wall | CPU | peak RSS | rows recorded | µs per stage (wall) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for n in "$@"; do
	d="$tmp/$n"; mkdir -p "$d"
	bench/planted_sweep.sh scale "$n" >"$d/sweep.yaml"
	for run in cold no-op; do
		(cd "$d" && /usr/bin/time -f '%e %U %S %M' -o "$d/t" "$bin" run -j 2 sweep.yaml >/dev/null 2>"$d/err") ||
			{ cat "$d/err" >&2; exit 1; }
		rows=$(sqlite3 "$d/.eigenlab/provenance.db" 'select count(*) from executions where run_id = (select max(id) from runs)')
		awk -v n=$((2 * n)) -v run="$run" -v rows="$rows" '{
			printf "| %d | %s | %.2f s | %.2f s | %d MB | %d | %.0f |\n", n, run, $1, $2 + $3, $4 / 1024, rows, $1 / n * 1e6
		}' "$d/t"
	done
	rm -rf "$d"
done
