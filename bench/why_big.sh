#!/bin/sh
# Times `eigenlab why` and `eigenlab ls` through the binary on a provenance
# database on disk with 10^6 executions (1,000 runs × 100 cells × a chain of
# 10 stages; results/bench_test.go writes it), cold process each call: the
# best and the median of ROUNDS calls, and the peak RSS.
# Usage: bench/why_big.sh   (from the repository root; ROUNDS=5 by default)
set -eu
cd "$(dirname "$0")/.."
bin=${EIGENLAB:-bin/eigenlab}
ROUNDS=${ROUNDS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${BIGDB:-$tmp/big.db}   # BIGDB=path keeps (and reuses) the database, which takes minutes to write
[ -s "$db" ] || EIGENLAB_BENCH_DB="$db" go test -count=1 -timeout 30m -run '^TestWriteBenchDB$' ./results >/dev/null
echo "database: $(du -h "$db" | cut -f1), $(sqlite3 "$db" 'select count(*) from executions') executions"
digest=$(sqlite3 "$db" "select g.digest from executions e join edges g on g.execution_id = e.id and g.direction = 'out' where e.run_id = 951 and e.stage = 's9' limit 1")
for ref in "$(echo "$digest" | cut -c1-12)" "big:s9.y@alpha=5,seed=7"; do
	: >"$tmp/t"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		/usr/bin/time -f '%e %M' -a -o "$tmp/t" "$bin" why --db "$db" "$ref" >/dev/null
		r=$((r + 1))
	done
	sort -g "$tmp/t" | awk -v ref="$ref" '{w[NR]=$1; m[NR]=$2} END {printf "why %s: best %.0f ms, median %.0f ms, peak RSS %d MB\n", ref, w[1]*1000, w[int((NR+1)/2)]*1000, m[NR]/1024}'
done
