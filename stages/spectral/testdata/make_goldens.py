#!/usr/bin/python3
"""Goldens for stages/spectral and the spectrum stage, from numpy/scipy/sklearn
(Debian python3-numpy 1.24, python3-sklearn 1.2). Run from this directory:

    /usr/bin/python3 make_goldens.py

Writes here (stages/spectral/testdata):
- pca_<case>_x.npy, pca_<case>_ev.npy: data and sklearn PCA().explained_variance_
  (first min(n-1, p) values), asserted equal to numpy svd(X_c)**2/(n-1).
  wide = p >> n (Gram route), tall = n >> p (direct route), both float32 data;
  offset = float64 with large column means (tests double-centering precision).
- views_<case>_x.npy and views_<case>_{full,channel,channel_unc,loc}.npy: an
  N x C x H x W tensor and its METHODS §1.1 spectra computed the textbook way.
- fit_<case>_lambda.npy, fit_<case>_alpha.npy, fit_<case>_r2.npy: a spectrum and
  each estimator's alpha and r2 (order of spectral.Estimators), written after the
  reference code (get_powerlaw.m, fit_affine, Elmoznino's LinearRegression) and
  METHODS §1.2/§3.6 for logbinned (ln of the mean lambda per bin) and
  logbinned-geometric (mean ln lambda); rolloff is a fixed non-power-law spectrum.
- cv_<case>_{x1,x2,swaps,cv}.npy: cvPCA of the spec (§1.4) for a given swap pattern.
And in ../../testdata (stages/testdata):
- spectrum_acts.npy and spectrum_<view>.npy: the spectrum stage's outputs for each
  view with ranks [2, 38] (eigenvalues; [alpha, r2, ed]; per-location alpha for the
  spatial view).
"""
import os

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

rng = np.random.default_rng(11)
STAGE_DIR = os.path.join("..", "..", "testdata")
os.makedirs(STAGE_DIR, exist_ok=True)


def save(name, a, d="."):
    np.save(os.path.join(d, name + ".npy"), a)


def pca_ev(x):
    """Covariance eigenvalues, three ways that must agree."""
    n, p = x.shape
    k = min(n - 1, p)
    ev = PCA().fit(x).explained_variance_[:k]
    sv = np.linalg.svd(x - x.mean(0), compute_uv=False)[:k] ** 2 / (n - 1)
    assert np.allclose(ev, sv, rtol=1e-10, atol=1e-12 * sv[0]), np.abs(ev - sv).max() / sv[0]
    return sv


# --- Equivalence: Gram trick / direct covariance = svd = sklearn PCA -------------
def correlated(n, p, dtype):
    mix = rng.standard_normal((p, p)) / np.sqrt(p) * (np.arange(1, p + 1) ** -0.6)
    return (rng.standard_normal((n, p)) @ mix + rng.standard_normal(p)).astype(dtype)


for name, (n, p, dt) in {"wide": (40, 1500, np.float32), "tall": (1500, 40, np.float32)}.items():
    x = correlated(n, p, dt)
    save(f"pca_{name}_x", x)
    save(f"pca_{name}_ev", PCA().fit(x.astype(np.float64)).explained_variance_[: min(n - 1, p)])
    pca_ev(x.astype(np.float64))
x = correlated(60, 250, np.float64) + 30.0  # means 30x the spread
save("pca_offset_x", x)
save("pca_offset_ev", pca_ev(x))


# --- The three views of §1.1 -------------------------------------------------------
def views(a):
    n, c, h, w = a.shape
    l = h * w
    full = pca_ev(a.reshape(n, -1))
    s = np.moveaxis(a, 1, -1).reshape(n * l, c)  # positions as samples
    chan = np.linalg.eigvalsh(np.cov(s, rowvar=False))[::-1][: min(c, n * l - 1)]
    unc = np.linalg.eigvalsh(s.T @ s / (n * l))[::-1][: min(c, n * l)]
    loc = np.stack([pca_ev(a[:, :, i, j]) for i in range(h) for j in range(w)])
    return full, chan, unc, loc


def acts(n, c, h, w):
    """ReLU activations with channel correlations and location-dependent means."""
    mix = rng.standard_normal((c, c)) * (np.arange(1, c + 1) ** -0.7)
    z = np.einsum("nkhw,kc->nchw", rng.standard_normal((n, c, h, w)), mix)
    z += 0.5 * rng.standard_normal((1, c, h, w))
    return np.maximum(z, 0).astype(np.float32)


for name, shape in {"acts": (50, 12, 3, 4), "wide": (10, 24, 2, 3)}.items():
    a = acts(*shape)
    save(f"views_{name}_x", a)
    for v, e in zip(["full", "channel", "channel_unc", "loc"], views(a.astype(np.float64))):
        save(f"views_{name}_{v}", e)


# --- Estimators (§1.2) --------------------------------------------------------------
def usable(lam):
    ok = (lam > 0) & (lam > 1e-12 * lam.max())
    return ok, int(np.nonzero(ok)[0][-1]) + 1


def stringer(lam, lo, hi):
    """get_powerlaw.m: B = (Y*(w.*X))/(X'*(w.*X)), X = [-log n, 1], w = 1/n."""
    ok, R = usable(lam)
    n = np.arange(lo, min(hi, R) + 1)
    n = n[ok[n - 1]]
    X = np.stack([-np.log(n), np.ones(len(n))], 1)
    w = 1.0 / n
    B = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * np.log(lam[n - 1])))
    assert np.isclose(B[0], -np.polyfit(np.log(n), np.log(lam[n - 1]), 1, w=np.sqrt(w))[0], rtol=1e-12)
    lpts = np.floor(np.exp(np.linspace(np.log(n[0]), np.log(n[-1]), 100)) + 0.5).astype(int)  # MATLAB round
    lpts = lpts[ok[lpts - 1]]
    r = np.corrcoef(np.log(lpts), np.log(lam[lpts - 1]))[0, 1]
    return B[0], r**2


def ols(n, lam, base=np.e):
    x, y = np.log(n) / np.log(base), np.log(lam[n - 1]) / np.log(base)
    a = -LinearRegression().fit(x[:, None], y).coef_.item()
    assert np.isclose(a, -np.polyfit(x, y, 1)[0], rtol=1e-12)
    return a, np.corrcoef(x, y)[0, 1] ** 2


def ols_range(lam, lo, hi):  # Rainbow fit_affine: NaN logs dropped
    ok, R = usable(lam)
    n = np.arange(lo, min(hi, R) + 1)
    return ols(n[ok[n - 1]], lam)


def elmoznino_logspaced(lam):  # eigenspectrum.py powerlaw_exponent, log10 axes
    ok, R = usable(lam)
    n = np.logspace(0, np.log10(R), num=50).round().astype(int)
    return ols(n[ok[n - 1]], lam, base=10)


def elmoznino_tail(lam):  # utils.py fix_alpha: drop log n > 0.95 log R
    ok, R = usable(lam)
    n = np.arange(1, R + 1)
    n = n[~(np.log(n) > 0.95 * np.log(R)) & ok[n - 1]]
    return ols(n, lam)


def logbinned(lam, lo, hi, bpd=10, geometric=False):
    """METHODS §1.2/§3.6: ranks in geometric bins (edges 10**(k/bpd)); per bin x = mean log n of
    its members, y = log of the mean lam of its members (the reference) or, geometric, the mean
    log lam; OLS of y on x. Bin k is floor(log10(n)*bpd), checked against exact integer edges."""
    ok, R = usable(lam)
    n = np.arange(lo, min(hi, R) + 1)
    n = n[ok[n - 1]]
    b = np.floor(np.log10(n) * bpd).astype(int)
    b += (10 ** ((b + 1) / bpd) <= n).astype(int)  # log10 may land just below a decade
    b -= (10 ** (b / bpd) > n).astype(int)
    xs = np.array([np.log(n[b == k]).mean() for k in np.unique(b)])
    if geometric:
        ys = np.array([np.log(lam[n[b == k] - 1]).mean() for k in np.unique(b)])
    else:
        ys = np.array([np.log(lam[n[b == k] - 1].mean()) for k in np.unique(b)])
    a = -np.polyfit(xs, ys, 1)[0]
    return a, np.corrcoef(xs, ys)[0, 1] ** 2


def estimators(lam):
    """alpha, r2 of every estimator, in the order of spectral.Estimators."""
    ok, R = usable(lam)
    lo, hi = 11, min(500, R - 2)
    return np.array([stringer(lam, lo, hi), ols_range(lam, lo, hi), elmoznino_logspaced(lam),
                     elmoznino_tail(lam), logbinned(lam, lo, hi), logbinned(lam, lo, hi, geometric=True)])


R = 2000
ranks = np.arange(1, R + 1)
noisy = np.sort(ranks**-1.1 * np.exp(0.05 * rng.standard_normal(R)))[::-1].copy()
# cvPCA-like: scattered negative values in the tail and an exact-zero end.
cvlike = ranks**-0.9 * (1 + 0.3 * rng.standard_normal(R))
cvlike[700:] -= 0.8 * 700**-0.9
cvlike[-50:] = 0
# Not a power law: a roll-off (exponential cut-off) and a bump, no noise.
rolloff = ranks**-0.8 * np.exp(-ranks / 300.0) * (1 + 0.5 * np.exp(-((np.log(ranks) - np.log(40)) ** 2)))
for name, lam in {"noisy": noisy, "cvlike": cvlike, "rolloff": rolloff}.items():
    res = estimators(lam)
    save(f"fit_{name}_lambda", lam)
    save(f"fit_{name}_alpha", res[:, 0].copy())
    save(f"fit_{name}_r2", res[:, 1].copy())


# --- cvPCA (§1.4) for a fixed swap pattern ------------------------------------------
def cvpca(x1, x2, swaps):
    a, b = x1.copy(), x2.copy()
    a[swaps], b[swaps] = x2[swaps], x1[swaps]
    n, p = a.shape
    k = min(n - 1, p)
    u = PCA().fit(a).components_[:k]
    mu = a.mean(0)
    c1, c2 = (a - mu) @ u.T, (b - mu) @ u.T
    return (c1 * c2).sum(0) / (n - 1)


for name, (n, p) in {"direct": (80, 30), "gram": (30, 90)}.items():
    sig = correlated(n, p, np.float64)
    x1 = sig + 0.3 * rng.standard_normal((n, p))
    x2 = sig + 0.3 * rng.standard_normal((n, p))
    swaps = rng.random(n) < 0.5
    for k, v in {"x1": x1, "x2": x2, "swaps": swaps.astype(np.float64), "cv": cvpca(x1, x2, swaps)}.items():
        save(f"cv_{name}_{k}", v)


# --- Stage-level goldens: the spectrum stage's outputs per view ---------------------
# The stage fits ranks STAGE_RANKS (the default [11, R-2] spans less than a decade here: no fit).
STAGE_RANKS = (2, 38)


def summary(lam):
    alpha, r2 = stringer(lam, *STAGE_RANKS)
    return np.array([alpha, r2, lam.sum() ** 2 / (lam**2).sum()])


a = acts(60, 40, 3, 3)
save("spectrum_acts", a, STAGE_DIR)
full, chan, _, loc = views(a.astype(np.float64))
mean = loc.mean(0)
save("spectrum_full", np.concatenate([summary(full), full]), STAGE_DIR)
save("spectrum_channel", np.concatenate([summary(chan), chan]), STAGE_DIR)
save("spectrum_spatial", np.concatenate([summary(mean), mean]), STAGE_DIR)
per_loc = np.array([stringer(s, *STAGE_RANKS)[0] for s in loc])
save("spectrum_alpha_per_location", per_loc, STAGE_DIR)
