#!/bin/sh
# The numerics of issue 13 as a user runs them: the eigenlab binary on .npy
# files from disk against the Python peer loading the same files, each side
# one process per run, interleaved, with the same OpenBLAS settings, and
# each run's wall time and peak RSS (/usr/bin/time):
#   pca:      load → reduce method pca, k 1000, on 5000×1000   vs sklearn PCA(1000).fit_transform
#   spectrum: load → spectrum full view, n_bootstraps 0, 5000×4000  vs numpy eigvalsh(Xcᵀ Xc) + fit
#   cross:    load x, y → crossdecomp n_folds 5, 5000×4000 vs 5000×1000  vs sklearn PLSSVD per fold
# eigenlab's loads are run once (cold) and cached; every timed run forces
# the measured stage only (run --force STAGE), so both sides pay the reading
# of their inputs and the writing of their outputs.
# Usage: bench/numerics_e2e.sh [pca|spectrum|cross ...]   (from the repository root; ROUNDS=2)
set -eu
cd "$(dirname "$0")/.."
bin=$(realpath "${EIGENLAB:-bin/eigenlab}")
[ -x "$bin" ] || { echo "build $bin first (make build)" >&2; exit 2; }
ROUNDS=${ROUNDS:-2}
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$(nproc)}"
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
	export OPENBLAS_CORETYPE=SkylakeX # what eigenlab sets for itself; numpy needs it too
fi
[ $# -gt 0 ] || set -- pca spectrum cross
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
np.save(f"{d}/pca_x.npy", rng.uniform(-1, 1, (5000, 1000)))
np.save(f"{d}/spec_x.npy", rng.standard_normal((5000, 4000)))
np.save(f"{d}/cross_y.npy", rng.uniform(-1, 1, (5000, 1000)))
PY
cat >"$tmp/pca.yaml" <<YAML
name: e2e-pca
stages:
  data: {kind: load, params: {source: npy, path: $tmp/pca_x.npy}}
  pca: {kind: reduce, inputs: {x: data}, params: {method: pca, k: 1000}}
YAML
cat >"$tmp/spectrum.yaml" <<YAML
name: e2e-spectrum
stages:
  data: {kind: load, params: {source: npy, path: $tmp/spec_x.npy}}
  spectrum: {kind: spectrum, inputs: {x: data}, params: {view: full, n_bootstraps: 0}}
YAML
cat >"$tmp/cross.yaml" <<YAML
name: e2e-cross
stages:
  x: {kind: load, params: {source: npy, path: $tmp/spec_x.npy}}
  y: {kind: load, params: {source: npy, path: $tmp/cross_y.npy}}
  cross: {kind: crossdecomp, inputs: {x: x, y: y}, params: {n_folds: 5}}
YAML
cat >"$tmp/peer.py" <<'PY'
import sys
import numpy as np
what, d = sys.argv[1], sys.argv[2]
if what == "pca":
    from sklearn.decomposition import PCA
    m = PCA(n_components=1000)
    z = m.fit_transform(np.load(f"{d}/pca_x.npy"))
    out = [z, m.components_, m.explained_variance_]
elif what == "spectrum":
    x = np.load(f"{d}/spec_x.npy")
    n = x.shape[0]
    xc = x - x.mean(0)
    lam = np.linalg.eigvalsh(xc.T @ xc)[::-1] / (n - 1)
    r = np.arange(11, min(500, len(lam) - 2) + 1)
    alpha = -np.polyfit(np.log(r), np.log(lam[r - 1]), 1, w=np.sqrt(1 / r))[0]
    out = [lam, np.array(alpha)]
else:
    from sklearn.cross_decomposition import PLSSVD
    x, y = np.load(f"{d}/spec_x.npy"), np.load(f"{d}/cross_y.npy")
    n, nf = x.shape[0], 5
    lab = np.random.default_rng(0).permutation(np.concatenate([np.repeat(np.arange(nf), n // nf), np.zeros(n % nf, dtype=int)]))
    k = min(min((lab != f).sum() for f in range(nf)) - 1, x.shape[1], y.shape[1])
    spec = []
    for f in range(nf):
        tr, te = lab != f, lab == f
        xs, ys = PLSSVD(n_components=k, scale=False).fit(x[tr], y[tr]).transform(x[te], y[te])
        spec.append(np.sum(xs * ys, 0) / (te.sum() - 1) / np.sqrt(x.shape[1] * y.shape[1]))
    out = [np.array(spec)]
for i, a in enumerate(out):
    np.save(f"{d}/peer_{what}_{i}.npy", a)
PY
timed() { # label cmd...: prints "label wall_s peak_MB"
	l=$1; shift
	/usr/bin/time -f "$l %e %M" -o "$tmp/t" "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; exit 1; }
	awk '{printf "%s %.2f s %.0f MB\n", $1, $2, $3/1024}' "$tmp/t"
}
echo "OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-} rounds=$ROUNDS; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir "$tmp/el"
for w in "$@"; do
	(cd "$tmp/el" && "$bin" run -j 1 "$tmp/$w.yaml" >/dev/null 2>&1) # cold: the loads enter the cache
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		timed "eigenlab-$w" sh -c "cd $tmp/el && exec $bin run -j 1 --force $w $tmp/$w.yaml"
		timed "python-$w" /usr/bin/python3 "$tmp/peer.py" "$w" "$tmp"
		r=$((r + 1))
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
