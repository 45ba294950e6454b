#!/usr/bin/python3
"""Goldens for stages/decomp from scikit-learn 1.2 (Debian python3-sklearn).

Run from this directory:  /usr/bin/python3 make_goldens.py
pca_<case>_{x,var,comp,z}.npy: input, PCA(k).explained_variance_, .components_
(sklearn applies svd_flip with u_based_decision, METHODS.md §0.1) and .transform(x).
jl.npy: johnson_lindenstrauss_min_dim for n = 1000, 10000 at eps = 0.1.
"""
import numpy as np
from sklearn.decomposition import PCA
from sklearn.random_projection import johnson_lindenstrauss_min_dim

rng = np.random.default_rng(11)
for name, (n, p) in {"tall": (60, 20), "wide": (20, 60)}.items():
    x = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) + 3
    m = PCA(n_components=5, svd_solver="full").fit(x)
    np.save(f"pca_{name}_x.npy", x)
    np.save(f"pca_{name}_var.npy", m.explained_variance_)
    np.save(f"pca_{name}_comp.npy", m.components_)
    np.save(f"pca_{name}_z.npy", m.transform(x))
np.save("jl.npy", np.array([johnson_lindenstrauss_min_dim(1000, eps=0.1), johnson_lindenstrauss_min_dim(10000, eps=0.1)], dtype=np.int64))
