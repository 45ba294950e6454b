#!/usr/bin/python3
"""numpy timings of the operations of stages/linalg's benchmarks, on the same inputs.

The inputs are those of stages/linalg/bench_test.go's randDense (the same 64-bit
LCG, bit for bit), so both sides do the same numerical work. Each operation runs
3 times, with no warm-up, like `go test -benchtime 3x` with b.Loop; the mean is printed.
Usage:  /usr/bin/python3 bench/numpy_linalg.py [gram|eigh|svd|dgemm ...]
bench/linalg_vs_numpy.sh runs it beside the Go benchmarks with the same OpenBLAS settings.
"""
import sys
import time

import numpy as np

A, C = 6364136223846793005, 1442695040888963407
M64 = (1 << 64) - 1


def rand_dense(r, c, block=4096):
    """randDense of bench_test.go: s <- A s + C (mod 2^64) from s = 1; value (s>>11)/2^53 - 0.5."""
    n = r * c
    first, s = [], 1
    for _ in range(block):
        s = (s * A + C) & M64
        first.append(s)
    ab, cb = 1, 0  # the map s -> ab s + cb that advances `block` steps
    for _ in range(block):
        ab, cb = (ab * A) & M64, (cb * A + C) & M64
    rows = -(-n // block)
    states = np.empty((rows, block), dtype=np.uint64)
    states[0] = first
    ab, cb = np.uint64(ab), np.uint64(cb)
    with np.errstate(over="ignore"):
        for k in range(1, rows):
            states[k] = states[k - 1] * ab + cb
    v = (states.ravel()[:n] >> np.uint64(11)).astype(np.float64) / float(1 << 53) - 0.5
    return v.reshape(r, c)


def mean_time(f, reps=3):
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps


def gram():
    x = rand_dense(5000, 4000)
    return mean_time(lambda: x @ x.T), ""


def eigh():
    x = rand_dense(2000, 2000)
    s = x @ x.T
    return mean_time(lambda: np.linalg.eigh(s)), ""


def svd():
    x = rand_dense(5000, 1000)
    return mean_time(lambda: np.linalg.svd(x, full_matrices=False)), ""


def dgemm():
    x = rand_dense(2000, 2000)
    y = rand_dense(2000, 2000)  # bench_test.go restarts the LCG: y == x
    t = mean_time(lambda: x @ y)
    return t, f" {2 * 2000**3 / t / 1e9:.1f} GFLOP/s"


OPS = {"gram": gram, "eigh": eigh, "svd": svd, "dgemm": dgemm}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(OPS):
        t, extra = OPS[name]()
        print(f"{name} {t:.4f} s{extra}")
