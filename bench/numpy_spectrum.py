#!/usr/bin/python3
"""numpy timings for BenchmarkSpectrumFull (stages/spectrum_test.go): the full-view
covariance spectrum of float64 Gaussian data, the stringer fit and ED, done the way
numpy does it best (Gram trick with eigvalsh when p > n, else the p x p covariance),
plus the textbook svd and sklearn PCA routes for reference.
Run: /usr/bin/python3 bench/numpy_spectrum.py   (same OPENBLAS_* settings as the Go run)
     /usr/bin/python3 bench/numpy_spectrum.py 5000x4000   (that size, the eig route only,
     best of 1: what /usr/bin/time -f %M beside one Go benchmark run compares)"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA


def best(f, reps=3):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def stringer(lam):
    n = np.arange(11, min(500, len(lam) - 2) + 1)
    return -np.polyfit(np.log(n), np.log(lam[n - 1]), 1, w=np.sqrt(1 / n))[0]


def spectrum(x):
    n, p = x.shape
    xc = x - x.mean(0)
    if p > n:
        lam = np.linalg.eigvalsh(xc @ xc.T)[::-1][: n - 1] / (n - 1)
    else:
        lam = np.linalg.eigvalsh(xc.T @ xc)[::-1] / (n - 1)
    return lam, stringer(lam), lam.sum() ** 2 / (lam**2).sum()


def svd_route(x):
    return np.linalg.svd(x - x.mean(0), compute_uv=False) ** 2 / (x.shape[0] - 1)


rng = np.random.default_rng(0)
if len(sys.argv) > 1:
    n, p = map(int, sys.argv[1].split("x"))
    x = rng.standard_normal((n, p))
    print(f"spectrum full {n}x{p}: eig route {best(lambda: spectrum(x), 1):.3f} s")
    sys.exit()
for n, p in [(2000, 8000), (5000, 4000)]:
    x = rng.standard_normal((n, p))
    print(f"spectrum full {n}x{p}: eig route {best(lambda: spectrum(x)):.3f} s, "
          f"svd route {best(lambda: svd_route(x), 1):.3f} s, "
          f"sklearn PCA().fit {best(lambda: PCA().fit(x), 1):.3f} s")
