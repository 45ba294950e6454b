#!/usr/bin/python3
"""Goldens for stages/align from scipy (Debian python3-scipy).

Run from this directory:  /usr/bin/python3 make_goldens.py
procrustes_{phi,psi,r}.npy: activations and scipy.linalg.orthogonal_procrustes(phi, psi)[0],
which equals the transpose of the alignment A of METHODS.md §5.1 (uncentered).
"""
import numpy as np
from scipy.linalg import orthogonal_procrustes

rng = np.random.default_rng(5)
phi = rng.standard_normal((200, 8)) + 0.3
q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
psi = phi @ q + 0.2 * rng.standard_normal((200, 8))
np.save("procrustes_phi.npy", phi)
np.save("procrustes_psi.npy", psi)
np.save("procrustes_r.npy", orthogonal_procrustes(phi, psi)[0])
