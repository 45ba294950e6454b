#!/usr/bin/python3
"""sklearn timing for BenchmarkReducePCA5000x1000 (stages/reduce_test.go): PCA of a
5000x1000 float64 matrix fitted on every row, all k = 1000 components, scores of every
row (fit_transform, which sklearn takes as U*S) — what the reduce stage's method pca
does with split 1. sklearn's default solver ("auto") picks the exact LAPACK SVD here
(k >= 0.8 min(n, p)). The input is uniform in [-1, 1) like the Go LCG input (the timing
does not depend on the values).
Run: /usr/bin/time -f %M /usr/bin/python3 bench/sklearn_pca.py [k] [reps]   (prints each rep's time)"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA

k = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
x = np.random.default_rng(1).uniform(-1, 1, (5000, 1000))
ts = []
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
    t = time.perf_counter()
    z = PCA(n_components=k, svd_solver="full").fit_transform(x)
    ts.append(time.perf_counter() - t)
print(f"sklearn PCA 5000x1000 k={k}: {' '.join(f'{v:.3f}' for v in ts)} s, scores {z.shape}")
