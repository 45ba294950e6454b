#!/usr/bin/python3
"""sklearn timing for BenchmarkReduceSRP2000x100000to8000 (stages/reduce_test.go) and
BenchmarkSRP10000x100000to8000 (stages/decomp/srp_test.go): sparse random projection of
float32 activations, density 1/sqrt(D), matrix generation included (fit_transform).
The input is uniform in [-1, 1) like the Go LCG input (timings do not depend on the
values: neither side skips nonzeros of a dense uniform input).
Run: /usr/bin/time -v /usr/bin/python3 bench/sklearn_srp.py N   (N = 2000 or 10000)"""
import sys
import time

import numpy as np
from sklearn.random_projection import SparseRandomProjection

n, d, k = int(sys.argv[1]) if len(sys.argv) > 1 else 2000, 100_000, 8000
x = np.random.default_rng(1).uniform(-1, 1, (n, d)).astype(np.float32)
t = time.perf_counter()
y = SparseRandomProjection(n_components=k, density="auto", random_state=0).fit_transform(x)
print(f"sklearn SRP {n}x{d} -> {k}: {time.perf_counter() - t:.3f} s, output {y.dtype}{y.shape}")
