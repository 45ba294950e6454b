#!/bin/sh
# Cold run and no-op rerun of the same planted sweep (load planted → spectrum,
# N cells = 2N stages) through the eigenlab binary on disk and through
# Snakemake (Debian), interleaved in one run, and prints the BENCHMARKS.md
# rows: wall time, peak RSS (/usr/bin/time), provenance rows recorded, and
# the ratio eigenlab/Snakemake. Snakemake runs its fastest settings: cold
# `--cores 2 --force-use-threads --scheduler greedy --nolock`, no-op
# `-j 2 -q --nolock --rerun-triggers mtime`; its steps are `run:` blocks
# in-process, so neither side pays a Python start per stage.
# With DROP_CACHES=1 (root) every no-op starts with an empty page cache
# (sync; echo 3 > /proc/sys/vm/drop_caches), as a rerun the next day does.
# With NOOP_ROUNDS=K the two no-ops run K times, alternating, and the row
# shows the median of each (the first follows the cold runs, whose writes
# push the other tool's files out of the page cache on this VM).
# Cold runs create thousands of files, and on ext4 the first creations after
# many files were deleted are slow (the inode allocator steps over the inodes
# freed in the last minutes: perf shows recently_deleted, find_get_block_common),
# so what ran before decides a cold run's time. SETTLE=S waits S seconds
# before the first cold run (330 leaves no recent deletion behind); CHURN=N
# creates and deletes N empty files right before each tool's cold run, as a
# test suite or the `rm -rf` of an old sweep would.
# Usage: bench/rerun_vs_snakemake.sh [N ...]   (default: 1000 10000)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${EIGENLAB:-bin/eigenlab}")
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
command -v snakemake >/dev/null || { echo "snakemake missing: apt-get install snakemake" >&2; exit 2; }
[ $# -gt 0 ] || set -- 1000 10000
# The project directory, not /tmp: where users keep their sweeps (on this VM /tmp
# creates files ~30x slower than the project disk). BENCH_DIR overrides.
tmp=$(mktemp -d -p "${BENCH_DIR:-$PWD}" .bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
repo=$(pwd)
timed() { # label cmd...: prints "label wall_s rss_MB"
	l=$1; shift
	/usr/bin/time -f "$l %e %M" -o "$tmp/t" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
	awk '{printf "%s %.2f %.0f\n", $1, $2, $3/1024}' "$tmp/t"
}
median() { # file of "label wall rss" lines: the line of the median wall
	sort -k2 -n "$1" | awk '{l[NR] = $0} END {print l[int((NR + 1) / 2)]}'
}
churn() {
	[ "${CHURN:-0}" -gt 0 ] || return 0
	mkdir "$tmp/churn" && (cd "$tmp/churn" && seq "$CHURN" | xargs touch) && rm -rf "$tmp/churn"
}
dropcaches() {
	[ "${DROP_CACHES:-0}" = 1 ] || return 0
	sync && echo 3 >/proc/sys/vm/drop_caches
}
echo "cores: $(nproc); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); snakemake $(snakemake --version); CHURN=${CHURN:-0} SETTLE=${SETTLE:-0}"
sleep "${SETTLE:-0}"
echo
echo "| stages | work | eigenlab | Snakemake | ratio | eigenlab peak RSS | Snakemake peak RSS | rows recorded |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for n in "$@"; do
	d="$tmp/$n"; mkdir -p "$d/el" "$d/sm"
	bench/planted_sweep.sh rerun-bench "$n" >"$d/el/sweep.yaml"
	cat >"$d/sm/Snakefile" <<SMK
import sys
sys.path.insert(0, "$repo/bench")
import snakemake_planted as sp
SEEDS = range($n)
rule all:
    input: expand("spectrum/{s}.npy", s=SEEDS)
rule data:
    output: "data/{s}.npy"
    run: sp.data(int(wildcards.s), 64, 32, 1.0, output[0])
rule spectrum:
    input: "data/{s}.npy"
    output: "spectrum/{s}.npy"
    run: sp.spectrum(input[0], output[0])
SMK
	el="cd $d/el && $bin run -j 2 sweep.yaml"
	smcold="cd $d/sm && snakemake --cores 2 --force-use-threads --scheduler greedy --nolock -q"
	smnoop="cd $d/sm && snakemake -j 2 -q --nolock --rerun-triggers mtime"
	churn; ec=$(timed el sh -c "$el"); churn; sc=$(timed sm sh -c "$smcold")
	: >"$tmp/en"; : >"$tmp/sn"
	for _ in $(seq "${NOOP_ROUNDS:-1}"); do
		dropcaches; timed el sh -c "$el" >>"$tmp/en"; dropcaches; timed sm sh -c "$smnoop" >>"$tmp/sn"
	done
	en=$(median "$tmp/en"); sn=$(median "$tmp/sn")
	rows=$(sqlite3 "$d/el/.eigenlab/provenance.db" \
		'select group_concat(c, " + ") from (select count(*) c from executions group by run_id order by run_id)' 2>/dev/null || echo "?")
	for pair in "cold:$ec:$sc" "no-op:$en:$sn"; do
		echo "$pair" | awk -F: -v n=$((2 * n)) -v rows="$rows" '{
			split($2, e, " "); split($3, s, " ")
			printf "| %d | %s | %.2f s | %.2f s | %.2f× | %d MB | %d MB | %s |\n", n, $1, e[2], s[2], e[2] / s[2], e[3], s[3], rows
		}'
	done
done
