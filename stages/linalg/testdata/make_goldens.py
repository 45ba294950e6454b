#!/usr/bin/python3
"""Golden outputs for stages/linalg, from numpy (Debian python3-numpy).

Run with /usr/bin/python3 from this directory:  /usr/bin/python3 make_goldens.py
Writes <case>_x.npy (input) and <case>_{eigvals,svals,gram,u,vt}.npy.
"""
import numpy as np

rng = np.random.default_rng(20261124)
for name, (m, n) in {"tall": (60, 25), "wide": (25, 60), "square": (40, 40)}.items():
    x = rng.standard_normal((m, n))
    np.save(f"{name}_x.npy", x)
    np.save(f"{name}_gram.npy", x @ x.T)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    # svd_flip(u_based_decision=True), METHODS.md §0.1
    idx = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[idx, np.arange(u.shape[1])])
    np.save(f"{name}_svals.npy", s)
    np.save(f"{name}_u.npy", u * signs)
    np.save(f"{name}_vt.npy", vt * signs[:, None])
    c = x.T @ x
    np.save(f"{name}_eigvals.npy", np.linalg.eigvalsh(c)[::-1].copy())
