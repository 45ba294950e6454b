"""Times the reference algorithm (make_goldens.py's copy of
manifold_analysis_correlation.py, cvxopt QP) on the issue's speed input:
50 manifolds of 100 Gaussian points in 2,000 dimensions, n_t = 200.

Usage: /usr/bin/python3 time_reference.py OUT.npy [K]
Writes the (50, 100, 2000) input to OUT.npy (for the Go benchmark:
EIGENLAB_MANIFOLD_BENCH_X=OUT.npy go test -bench Analyze -benchtime=1x)
and times the reference's per-manifold analysis on the first K manifolds
(default 3), printing the time extrapolated to all 50. The reference's
low-rank centre search (pymanopt) is not included, so this understates it.
"""
import sys
import time

import numpy as np
from scipy.linalg import qr

from make_goldens import each_manifold_analysis_D1

P, M, N, NT = 50, 100, 2000, 200


def main():
    out, k = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    rng = np.random.default_rng(1)
    x = rng.standard_normal((P, M, N))
    np.save(out, x)
    X = [xi.T for xi in x]
    start = time.perf_counter()
    origin = np.concatenate(X, axis=1).mean(axis=1, keepdims=True)
    for i in range(k):
        xr = X[i] - origin
        c = xr.mean(axis=1)
        s = (xr - c[:, None]) / np.linalg.norm(c)
        q, _ = qr(s, mode='economic')
        s = q.T @ s
        sD1 = np.concatenate([s, np.ones((1, M))], axis=0)
        a, r, d = each_manifold_analysis_D1(sD1, 0.0, rng.standard_normal((M + 1, NT)))
        print('manifold %d: capacity %.4f radius %.4f dimension %.2f' % (i, a, r, d))
    took = time.perf_counter() - start
    print('reference: %.1f s for %d manifolds, %.0f s extrapolated to %d' % (took, k, took * P / k, P))


if __name__ == '__main__':
    main()
