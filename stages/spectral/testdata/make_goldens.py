#!/usr/bin/python3
"""Goldens for stages/spectral from numpy/sklearn (Debian packages).

Run from this directory:  /usr/bin/python3 make_goldens.py
- <case>_x.npy, <case>_pca.npy: data and sklearn PCA().explained_variance_
  (the first min(n-1, p) values), which must equal numpy svd(X_c)**2/(n-1).
- fit_lambda.npy: a noisy spectrum; fit_alpha.npy: α of each estimator in
  the order of spectral.Estimators, computed here with np.polyfit.
"""
import numpy as np
from sklearn.decomposition import PCA

rng = np.random.default_rng(7)
for name, (n, p) in {"wide": (40, 150), "tall": (200, 30)}.items():
    # Correlated features so the spectrum is not flat.
    x = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) * 0.1 + rng.standard_normal(p)
    ev = PCA().fit(x).explained_variance_[: min(n - 1, p)]
    xc = x - x.mean(0)
    sv = np.linalg.svd(xc, compute_uv=False)[: min(n - 1, p)] ** 2 / (n - 1)
    assert np.allclose(ev, sv, rtol=1e-10)
    np.save(f"{name}_x.npy", x)
    np.save(f"{name}_pca.npy", ev)

R = 2000
ranks = np.arange(1, R + 1)
lam = ranks ** -1.1 * np.exp(0.05 * rng.standard_normal(R))
lam = np.sort(lam)[::-1].copy()
np.save("fit_lambda.npy", lam)
L = np.log(lam)
lo, hi = 11, 500
sel = (ranks >= lo) & (ranks <= hi)
stringer = -np.polyfit(np.log(ranks[sel]), L[sel], 1, w=np.sqrt(1 / ranks[sel]))[0]
ols = -np.polyfit(np.log(ranks[sel]), L[sel], 1)[0]
ls = np.round(np.logspace(0, np.log10(R), 50)).astype(int)
logspaced = -np.polyfit(np.log10(ls), np.log10(lam[ls - 1]), 1)[0]
tail = ranks[ranks <= int(np.floor(R ** 0.95))]
eltail = -np.polyfit(np.log(tail), L[tail - 1], 1)[0]
# logbinned, this project's convention: bins floor(log10(n)*bpd), mean log n and mean log λ per bin.
bpd = 10
b = np.floor(np.log10(ranks[sel]) * bpd).astype(int)
xs = [np.log(ranks[sel][b == k]).mean() for k in np.unique(b)]
ys = [L[sel][b == k].mean() for k in np.unique(b)]
logbinned = -np.polyfit(xs, ys, 1)[0]
np.save("fit_alpha.npy", np.array([stringer, ols, logspaced, eltail, logbinned]))
