#!/usr/bin/python3
"""numpy/sklearn timings for BenchmarkCrossdecomp5000x4000vs5000x1000 (stages/crossdecomp_test.go):
the 8-fold cross-decomposition spectrum (METHODS.md §3) of a 5000x4000 and a 5000x1000 float64
matrix, all K = 1000 components, covariance metric, normalised; the input is uniform in [-1, 1)
like the Go LCG input (the timing does not depend on the values).
  numpy:   the reference algorithm written directly (train means, X_c^T Y_c, svd, svd_flip,
           projection of the held-out rows, sum(xs*ys)/(n_te-1)/sqrt(dX*dY))
  sklearn: PLSSVD(n_components=1000, scale=False).fit/transform per fold, same spectrum
Run: /usr/bin/python3 bench/numpy_crossdecomp.py [numpy|sklearn] [reps]
(same OPENBLAS_* settings as the Go run; prints each rep's time; bench/decomp_vs_reference.sh
interleaves it with the Go benchmark)"""
import sys
import time

import numpy as np
from sklearn.cross_decomposition import PLSSVD
from sklearn.utils.extmath import svd_flip


def folds(n, k, seed=0):
    labels = np.concatenate([np.repeat(np.arange(k), n // k), np.zeros(n % k, dtype=int)])
    return np.random.default_rng(seed).permutation(labels)


def fold_numpy(xtr, ytr, xte, yte, k):
    mx, my = xtr.mean(0), ytr.mean(0)
    u, s, vt = np.linalg.svd((xtr - mx).T @ (ytr - my), full_matrices=False)
    u, vt = svd_flip(u, vt)
    return (xte - mx) @ u[:, :k], (yte - my) @ vt[:k].T


def fold_sklearn(xtr, ytr, xte, yte, k):
    return PLSSVD(n_components=k, scale=False).fit(xtr, ytr).transform(xte, yte)


def spectra(x, y, fit, n_folds=8):
    lab = folds(x.shape[0], n_folds)
    k = min(min((lab != f).sum() for f in range(n_folds)) - 1, x.shape[1], y.shape[1])
    out = []
    for f in range(n_folds):
        tr, te = lab != f, lab == f
        xs, ys = fit(x[tr], y[tr], x[te], y[te], k)
        out.append(np.sum(xs * ys, 0) / (te.sum() - 1) / np.sqrt(x.shape[1] * y.shape[1]))
    return np.array(out)


which = sys.argv[1] if len(sys.argv) > 1 else "numpy"
rng = np.random.default_rng(1)
x, y = rng.uniform(-1, 1, (5000, 4000)), rng.uniform(-1, 1, (5000, 1000))
fit = fold_numpy if which == "numpy" else fold_sklearn
ts = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
    t = time.perf_counter()
    spectra(x, y, fit)
    ts.append(time.perf_counter() - t)
print(f"{which} 8-fold crossdecomp 5000x4000 vs 5000x1000: {' '.join(f'{v:.3f}' for v in ts)} s")
