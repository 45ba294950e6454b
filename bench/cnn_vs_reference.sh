#!/bin/sh
# MobileNetV2 (224×224) forward throughput on this machine's cores: eigenlab's imported
# nsfwjs MobileNetV2 (BenchmarkMobileNetV2: 8 images per op to out_relu, one image per
# worker, 1 worker then one per CPU) against Debian's PyTorch on the same architecture
# (bench/torch_mobilenetv2.py, random weights, 1 thread then THREADS) and the tfjs
# reference (bench/tfjs_mobilenetv2.js, pure-JS CPU backend), processes interleaved,
# ROUNDS rounds; prints each one's images/s, peak RSS and CPU time (/usr/bin/time; on a
# shared machine the CPU time shows what the load hides, e.g. a thread pool spinning).
# OpenBLAS gets the core type the eigenlab CLI gives it (SkylakeX kernels on AVX-512
# CPUs; Debian's 0.3.21 would otherwise take Prescott's for recent CPUs).
# Needs: make models; apt-get install python3-torch python3-torchvision (see the .py);
# TFJS_MODULES=<scratch>/node_modules from `npm ci` of stages/nn/tfjs/testdata/package*.json
# (the tfjs row is skipped without it). Run from the repository root:
#   ROUNDS=3 TFJS_MODULES=/tmp/tfjsref/node_modules sh bench/cnn_vs_reference.sh
set -e
ROUNDS=${ROUNDS:-3}
export THREADS=${THREADS:-2}
root=$(pwd)
if [ -z "$OPENBLAS_CORETYPE" ] && grep -qw avx512f /proc/cpuinfo; then
	export OPENBLAS_CORETYPE=SkylakeX
fi
tmp=$(mktemp -d)
go test -c -o "$tmp/tfjs.test" ./stages/nn/tfjs/
rss() { /usr/bin/time -f "    peak RSS %M KB, CPU %U s user + %S s system" "$@" 2>&1 | grep -E 'images/s|peak RSS'; }
for r in $(seq "$ROUNDS"); do
	echo "round $r (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	(cd stages/nn/tfjs && rss "$tmp/tfjs.test" -test.run '^$' -test.bench 'BenchmarkMobileNetV2$' -test.benchtime 3x)
	THREADS=1 rss /usr/bin/python3 "$root/bench/torch_mobilenetv2.py" 8 3
	rss /usr/bin/python3 "$root/bench/torch_mobilenetv2.py" 8 3
	if [ -n "$TFJS_MODULES" ]; then
		NODE_PATH=$TFJS_MODULES rss node "$root/bench/tfjs_mobilenetv2.js" 8 1
	fi
done
rm -rf "$tmp"
