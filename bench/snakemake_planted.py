"""The Snakemake side of bench/rerun_vs_snakemake.sh: the same planted sweep
(METHODS.md §1.1 planted data → full-view eigenspectrum) as one Python step
per stage, so Snakemake schedules, checks and reruns the same DAG shape as
eigenlab. Called as: snakemake_planted.py data SEED N P ALPHA OUT
                  or: snakemake_planted.py spectrum IN OUT
"""
import sys

import numpy as np


def data(seed, n, p, alpha, out):
    rng = np.random.default_rng(seed)
    k = min(n, p)
    scale = np.arange(1, k + 1) ** (-alpha / 2)
    q, _ = np.linalg.qr(rng.standard_normal((p, k)))
    x = (rng.standard_normal((n, k)) * scale) @ q.T
    np.save(out, x)


def spectrum(inp, out):
    x = np.load(inp)
    x = x - x.mean(axis=0)
    lam = np.linalg.eigvalsh(x.T @ x / (x.shape[0] - 1))[::-1]
    np.save(out, lam)


if __name__ == "__main__":
    if sys.argv[1] == "data":
        data(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        spectrum(sys.argv[2], sys.argv[3])
