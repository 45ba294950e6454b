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

# Cross-decomposition (METHODS.md §3.8): sklearn PLSSVD(scale=False) per fold on
# fold labels built as the reference does (§3.4), per-fold test spectra
# sum(xs*ys, 0)/(n_te-1)/sqrt(dX*dY).
from sklearn.cross_decomposition import PLSSVD

def folds(n, k, seed):
    labels = np.concatenate([np.repeat(np.arange(k), n // k), np.zeros(n % k, dtype=int)])
    return np.random.default_rng(seed).permutation(labels)

for name, (n, dx, dy, same) in {"tall": (80, 30, 12, False), "wide": (60, 300, 15, False), "pca": (70, 20, 20, True)}.items():
    z = rng.standard_normal((n, 6))
    x = z @ rng.standard_normal((6, dx)) + 0.5 * rng.standard_normal((n, dx))
    y = x.copy() if same else z @ rng.standard_normal((6, dy)) + 0.5 * rng.standard_normal((n, dy))
    lab = folds(n, 4, 0)
    K = 8
    spec = []
    for f in range(4):
        tr, te = lab != f, lab == f
        m = PLSSVD(n_components=K, scale=False).fit(x[tr], y[tr])
        xs, ys = m.transform(x[te], y[te])
        spec.append(np.sum(xs * ys, 0) / (te.sum() - 1) / np.sqrt(dx * dy))
    np.save(f"cross_{name}_x.npy", x)
    np.save(f"cross_{name}_y.npy", y)
    np.save(f"cross_{name}_folds.npy", lab.astype(np.int64))
    np.save(f"cross_{name}_spec.npy", np.array(spec))

# Ridge (METHODS.md §6.3): on StandardScaler-ed X, sklearn RidgeCV with per-target
# alpha and stored LOO values (MSE mode: squared LOO errors), the chosen alphas,
# and Ridge(alpha_t) predictions on held-out rows.
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.preprocessing import StandardScaler

grid = np.logspace(-1, 5, 7)
for name, (n, p) in {"tall": (60, 20), "wide": (30, 80)}.items():
    x = rng.standard_normal((n + 10, p))
    b = rng.standard_normal((p, 4)) * np.array([1, 0.3, 0.1, 0.0])
    y = x @ b + rng.standard_normal((n + 10, 4))
    xtr, xte, ytr = x[:n], x[n:], y[:n]
    sc = StandardScaler().fit(xtr)
    xs, xts = sc.transform(xtr), sc.transform(xte)
    cv = RidgeCV(alphas=grid, alpha_per_target=True, store_cv_values=True).fit(xs, ytr)
    pred = np.column_stack([Ridge(alpha=a).fit(xs, ytr[:, t]).predict(xts) for t, a in enumerate(cv.alpha_)])
    np.save(f"ridge_{name}_x.npy", x)
    np.save(f"ridge_{name}_y.npy", y)
    np.save(f"ridge_{name}_cv.npy", cv.cv_values_)  # n × targets × alphas
    np.save(f"ridge_{name}_alpha.npy", cv.alpha_)
    np.save(f"ridge_{name}_pred.npy", pred)
