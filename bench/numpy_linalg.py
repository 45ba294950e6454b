#!/usr/bin/python3
"""numpy timings for the operations of stages/linalg's benchmarks (same sizes).
Run: OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/numpy_linalg.py"""
import time
import numpy as np

def best(f, reps=3):
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

rng = np.random.default_rng(0)
x = rng.random((5000, 4000)) - 0.5
print(f"gram 5000x4000     {best(lambda: x @ x.T):.3f} s")
s = rng.random((2000, 2000)); s = s @ s.T
print(f"eigh 2000          {best(lambda: np.linalg.eigh(s)):.3f} s")
y = rng.random((5000, 1000))
print(f"svd 5000x1000      {best(lambda: np.linalg.svd(y, full_matrices=False)):.3f} s")
a, b = rng.random((2000, 2000)), rng.random((2000, 2000))
t = best(lambda: a @ b)
print(f"dgemm 2000         {t:.3f} s  {2*2000**3/t/1e9:.0f} GFLOP/s")
