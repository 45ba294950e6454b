#!/usr/bin/python3
"""Golden outputs for stages/linalg, from numpy (Debian python3-numpy).

Run with /usr/bin/python3 from this directory:  /usr/bin/python3 make_goldens.py
For each case writes the input <case>_x.npy and
  <case>_gram.npy      x @ x.T
  <case>_svals.npy     singular values (np.linalg.svd, thin)
  <case>_u.npy, _vt.npy  thin singular vectors, signs by svd_flip (METHODS.md §0.1)
  <case>_sym.npy       the full-rank Gram of x: x.T @ x if tall or square, else x @ x.T
  <case>_eigvals.npy   np.linalg.eigh(sym) eigenvalues, descending
  <case>_eigvecs.npy   its eigenvectors as columns, in that order, signs by the same rule
The shapes cover LAPACK's paths: small (unblocked), tall enough for dgesdd's
QR-first path (m >= 11n/6), wide, square, and sizes past the block size.
"""
import numpy as np


def flip(u, vt=None):
    """svd_flip(u_based_decision=True): largest-|.| entry of each column of u positive."""
    idx = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[idx, np.arange(u.shape[1])])
    return u * signs, None if vt is None else vt * signs[:, None]


CASES = {
    "tall": (60, 25),
    "wide": (25, 60),
    "square": (40, 40),
    "tallblock": (160, 70),
    "block": (110, 100),
}

rng = np.random.default_rng(20261124)
for name, (m, n) in CASES.items():
    x = rng.standard_normal((m, n))
    np.save(f"{name}_x.npy", x)
    np.save(f"{name}_gram.npy", x @ x.T)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    u, vt = flip(u, vt)
    np.save(f"{name}_svals.npy", s)
    np.save(f"{name}_u.npy", u)
    np.save(f"{name}_vt.npy", vt)
    sym = x.T @ x if m >= n else x @ x.T
    w, v = np.linalg.eigh(sym)
    v, _ = flip(v[:, ::-1])
    np.save(f"{name}_sym.npy", sym)
    np.save(f"{name}_eigvals.npy", w[::-1].copy())
    np.save(f"{name}_eigvecs.npy", np.ascontiguousarray(v))
