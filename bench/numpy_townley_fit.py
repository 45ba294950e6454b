#!/usr/bin/python3
"""The dense linear algebra of one townley-powerlaw-init cross-decomposition, timed in
numpy/scipy on the same OpenBLAS: the floor of one `align` stage (METHODS.md §3.9, the
gram-xy route eigenlab takes at this size).

x is 2000x4000 (a layer sparse-randomly projected to k = 4000), y is 2000x12288
(MobileNetV2 block_6_expand_relu); 8 folds of 1750 train and 250 test rows. Per fit:
  grams     the all-row Grams X_c X_c^T and Y_c Y_c^T (dsyrk), once
  per fold  the fold's train Gram of each side from the all-row one (O(n^2)), its pivoted
            Cholesky (dpstrf), M = L_x^T L_y (dgemm), the SVD of M (dgesdd, numpy.linalg.svd),
            the triangular solves that map its factors to projection coefficients (dtrsm), the
            sign rule's product X_c^T coef (dgemm), the held-out projections (dgemm)
Nothing else eigenlab's stage does is timed (the permutation null, the spectra, bins, I/O):
this is a lower bound on the stage, not a reimplementation of it. Values are standard normal
(timings do not depend on them; the Grams have full rank 1749 like the real ones).

  sklearn   (optional) one fold of sklearn's PLSSVD(n_components=1749, scale=False) fit and
            transform on the same train/test rows: what a Python user would otherwise run.

Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/numpy_townley_fit.py [reps] [sklearn]
(prints each part's seconds per rep, then the total)."""
import sys
import time

import numpy as np
from scipy.linalg.blas import dgemm, dsyrk, dtrsm
from scipy.linalg.lapack import dpstrf

N, DX, DY, FOLDS = 2000, 4000, 12288, 8


def fold_gram(g, tr):
    """The train rows' Gram, centered on the train means, from the all-row Gram centered on
    the all-row means (the centering correction is O(n^2))."""
    s = g[np.ix_(tr, tr)]
    r = s.mean(0)
    return s - r[:, None] - r[None, :] + r.mean()


def chol(g):
    """L with L L^T = g from the pivoted Cholesky (rank r): L = P^T R^T, R upper r x n."""
    c, piv, rank, info = dpstrf(g, tol=1e-12 * np.max(np.diag(g)), lower=0)
    r = np.triu(c)[:rank]
    l = np.zeros((g.shape[0], rank))
    l[piv - 1] = r.T
    return l, r, piv - 1, rank


def basis(r, piv, rank, p):
    """a with L^T a = p, zero off the pivot rows: one triangular solve with R11."""
    a = dtrsm(1.0, r[:rank, :rank], p, lower=0)
    coef = np.zeros((r.shape[1], p.shape[1]))
    coef[piv[:rank]] = a
    return coef


def fit(xc, gx, gy, labels, t):
    for f in range(FOLDS):
        tr, te = np.flatnonzero(labels != f), np.flatnonzero(labels == f)
        t0 = time.perf_counter()
        lx, rx, px, kx = chol(fold_gram(gx, tr))
        ly, ry, py, ky = chol(fold_gram(gy, tr))
        t1 = time.perf_counter()
        m = dgemm(1.0, lx, ly, trans_a=1)
        t2 = time.perf_counter()
        p, s, qt = np.linalg.svd(m, full_matrices=False)
        t3 = time.perf_counter()
        cx, cy = basis(rx, px, kx, p), basis(ry, py, ky, qt.T)
        t4 = time.perf_counter()
        u = dgemm(1.0, xc[tr], cx, trans_a=1)  # the sign rule's X_c^T coef (dX x K)
        np.argmax(np.abs(u), axis=0)
        t5 = time.perf_counter()
        dgemm(1.0, gx[np.ix_(te, tr)], cx)
        dgemm(1.0, gy[np.ix_(te, tr)], cy)
        t6 = time.perf_counter()
        for k, v in zip(("cholesky", "cross", "svd", "trsm", "signs", "project"), (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            t[k] = t.get(k, 0) + v


def sklearn_fold(x, y, labels):
    from sklearn.cross_decomposition import PLSSVD
    tr, te = labels != 0, labels == 0
    t0 = time.perf_counter()
    PLSSVD(n_components=int(tr.sum()) - 1, scale=False).fit(x[tr], y[tr]).transform(x[te], y[te])
    return time.perf_counter() - t0


rng = np.random.default_rng(0)
x, y = rng.standard_normal((N, DX)), rng.standard_normal((N, DY))
labels = np.arange(N) % FOLDS
xc, yc = x - x.mean(0), y - y.mean(0)
for rep in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
    t = {}
    t0 = time.perf_counter()
    gx = dsyrk(1.0, xc)
    gy = dsyrk(1.0, yc)
    gx, gy = np.triu(gx) + np.triu(gx, 1).T, np.triu(gy) + np.triu(gy, 1).T
    t["grams"] = time.perf_counter() - t0
    fit(xc, gx, gy, labels, t)
    print(f"rep {rep}: " + " ".join(f"{k} {v:.2f}" for k, v in t.items()) + f" | total {sum(t.values()):.2f} s", flush=True)
if "sklearn" in sys.argv[2:]:
    print(f"sklearn PLSSVD, one fold (1750 x 4000 vs 1750 x 12288, 1749 components): {sklearn_fold(x, y, labels):.2f} s")
