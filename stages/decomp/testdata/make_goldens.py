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
# fold labels built as the reference does (§3.4), all min(n_train-1, dX, dY)
# components of the smallest fold. Per-fold test spectra (folds × K):
#   cross_<case>_spec: sum(xs*ys, 0)/(n_te-1)/sqrt(dX*dY)   (covariance, normalized)
#   cross_<case>_corr: np.corrcoef(xs_k, ys_k)[0, 1]           (correlation: Pearson r)
#   cross_<case>_corruncentered: sum(xs*ys, 0)/(n_te-1) over the ddof-1 sds of xs, ys
#       (correlation-uncentered: the scale-free-visual-cortex code's form)
#   cross_<case>_recentered: np.cov(xs_k, ys_k)[0, 1]      (recenter_test, not normalized)
# and cross_<case>_sigma: each fold's PLSSVD singular values / (n_train-1)
# (in the X = Y case sklearn's are those of X_c^T X_c: s^2 of X_c, the PCA case);
# cross_<case>_total_ci: the 95% t-interval over folds of the per-fold sums of
# the covariance spectra, mean ± t_{0.975, F-1}·sd/√F (scipy.stats.t).
from scipy import stats
from sklearn.cross_decomposition import PLSSVD

def folds(n, k, seed):
    labels = np.concatenate([np.repeat(np.arange(k), n // k), np.zeros(n % k, dtype=int)])
    return np.random.default_rng(seed).permutation(labels)

def cross_case(name, x, y, n_folds):
    n, dx, dy = x.shape[0], x.shape[1], y.shape[1]
    lab = folds(n, n_folds, 0)
    K = min(min((lab != f).sum() for f in range(n_folds)) - 1, dx, dy)
    cov, corr, unc, rec, sig = [], [], [], [], []
    for f in range(n_folds):
        tr, te = lab != f, lab == f
        m = PLSSVD(n_components=K, scale=False).fit(x[tr], y[tr])
        xs, ys = m.transform(x[te], y[te])
        nte = te.sum()
        cov.append(np.sum(xs * ys, 0) / (nte - 1) / np.sqrt(dx * dy))
        corr.append([np.corrcoef(xs[:, k], ys[:, k])[0, 1] for k in range(K)])
        unc.append(np.sum(xs * ys, 0) / (nte - 1) / xs.std(0, ddof=1) / ys.std(0, ddof=1))
        rec.append([np.cov(xs[:, k], ys[:, k])[0, 1] for k in range(K)])
        c = (x[tr] - x[tr].mean(0)).T @ (y[tr] - y[tr].mean(0))
        sig.append(np.linalg.svd(c, compute_uv=False)[:K] / (tr.sum() - 1))
    np.save(f"cross_{name}_x.npy", x)
    np.save(f"cross_{name}_y.npy", y)
    np.save(f"cross_{name}_folds.npy", lab.astype(np.int64))
    np.save(f"cross_{name}_spec.npy", np.array(cov))
    np.save(f"cross_{name}_corr.npy", np.array(corr))
    np.save(f"cross_{name}_corruncentered.npy", np.array(unc))
    totals = np.array(cov).sum(1)
    half = stats.t.ppf(0.975, n_folds - 1) * totals.std(ddof=1) / np.sqrt(n_folds)
    np.save(f"cross_{name}_total_ci.npy", np.array([totals.mean() - half, totals.mean() + half]))
    np.save(f"cross_{name}_recentered.npy", np.array(rec))
    np.save(f"cross_{name}_sigma.npy", np.array(sig))

for name, (n, dx, dy, same, nf) in {"tall": (80, 30, 12, False, 4), "wide": (60, 300, 15, False, 4), "pca": (70, 20, 20, True, 8)}.items():
    z = rng.standard_normal((n, 6))
    x = z @ rng.standard_normal((6, dx)) + 0.5 * rng.standard_normal((n, dx))
    y = x.copy() if same else z @ rng.standard_normal((6, dy)) + 0.5 * rng.standard_normal((n, dy))
    cross_case(name, x, y, nf)

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

# More cross-decomposition shapes, from their own generator so the cases above
# keep their data: both sides wide (the Gram route on x and y) and the PCA case
# with p >> n (the Gram PCA route).
rng2 = np.random.default_rng(12)
for name, (n, dx, dy, same, nf) in {"widexy": (48, 200, 150, False, 4), "pcawide": (40, 100, 100, True, 4)}.items():
    z = rng2.standard_normal((n, 5))
    x = z @ rng2.standard_normal((5, dx)) + 0.5 * rng2.standard_normal((n, dx))
    y = x.copy() if same else z @ rng2.standard_normal((5, dy)) + 0.5 * rng2.standard_normal((n, dy))
    cross_case(name, x, y, nf)

# Geometric binning (METHODS.md §3.6), the reference's
# assign_data_to_geometrically_spaced_bins(ranks, density=d, start=1, stop=10000)
# restated: the bin centre of every rank 1..20000 for densities 3 and 10.
def bin_centres(ranks, density):
    num = int(density * (np.log(10000) - np.log(1)) / np.log(10))
    edges = np.geomspace(1, 10000, num=num)
    centres = np.exp(np.log(edges)[:-1] + np.diff(np.log(edges)) / 2)
    edges[-1] = np.inf
    return centres[np.digitize(ranks, edges) - 1]

ranks = np.arange(1, 20001)
np.save("bins_centres.npy", np.stack([bin_centres(ranks, 3), bin_centres(ranks, 10)]))

# Group k-fold (METHODS.md §3.4): sklearn 1.2 GroupKFold(k) fold index per row
# (test fold f holds the rows GroupKFold's f-th split tests). Its order of
# groups is numpy's default argsort (introsort, not stable) of the group
# sizes, reversed; ties are everywhere when groups have equal sizes.
#   groups_<case>: the labels; groupkfold_<case>_k<k>: the fold of each row.
#   argsort_values, argsort_lengths, argsort_order: tie-heavy int64 vectors
#   (concatenated, lengths 1..300) and np.argsort of each.
from sklearn.model_selection import GroupKFold

def group_folds(groups, k):
    out = np.full(len(groups), -1, dtype=np.int64)
    for f, (_, te) in enumerate(GroupKFold(n_splits=k).split(groups, groups=groups)):
        out[te] = f
    return out

rng3 = np.random.default_rng(13)
photos = np.repeat(np.arange(37), [33] * 16 + [32] * 21)  # 1200 patches of 37 photos, earlier photos take the remainder
sizes = rng3.integers(1, 7, size=60)
labels = rng3.choice(np.arange(-500, 500), size=60, replace=False)
mixed = rng3.permutation(np.repeat(labels, sizes))
for name, groups, ks in [("photos", photos, (5, 8)), ("mixed", mixed, (3, 5, 8)), ("few", np.repeat([7, 3, 9], [4, 4, 4]), (2, 3))]:
    np.save(f"groups_{name}.npy", groups.astype(np.int64))
    for k in ks:
        np.save(f"groupkfold_{name}_k{k}.npy", group_folds(groups, k))

lengths = np.arange(1, 301)
values = [rng3.integers(0, 1 + int(rng3.integers(1, 12)), size=n) for n in lengths]
np.save("argsort_lengths.npy", lengths.astype(np.int64))
np.save("argsort_values.npy", np.concatenate(values).astype(np.int64))
np.save("argsort_order.npy", np.concatenate([np.argsort(v) for v in values]).astype(np.int64))
# argsort_killer_values.npy is an input, not made here: McIlroy's antiqsort
# adversary run against numpy's introsort (n = 200), values halved so that
# pairs tie; it drives the introsort past its depth limit into heapsort.
np.save("argsort_killer_order.npy", np.argsort(np.load("argsort_killer_values.npy")).astype(np.int64))

# Held-out projections whose test means are shifted far from 0 (as with folds
# grouped by photo): heldout_shift_{x,y} (n × K), heldout_shift_corr the
# per-component np.corrcoef (within [-1, 1]) and heldout_shift_corruncentered
# the uncentered form over the ddof-1 sds (above 1 here).
a = rng3.standard_normal((40, 3))
hx = a + np.array([4.0, -3.0, 0.5])
hy = 0.6 * a + 0.8 * rng3.standard_normal((40, 3)) + np.array([3.0, -5.0, 0.0])
np.save("heldout_shift_x.npy", hx)
np.save("heldout_shift_y.npy", hy)
np.save("heldout_shift_corr.npy", np.array([np.corrcoef(hx[:, k], hy[:, k])[0, 1] for k in range(3)]))
np.save("heldout_shift_corruncentered.npy", np.sum(hx * hy, 0) / 39 / hx.std(0, ddof=1) / hy.std(0, ddof=1))

# Cross-trial cross-decomposition (METHODS.md §3.7), from its own generator so
# the cases above keep their data. Two repeats share a signal z and have
# independent noise; per fold f, PLSSVD(scale=False) is fitted on (x1, y2) and
# on (x2, y1) with all K = min(n_train-1, dX, dY) components of the smallest
# fold, and the two test covariance spectra are summed and halved:
#   crosstrial_<case>_spec: ½[sum(xs*ys)/(n_te-1) of each pairing]/sqrt(dX*dY)
#   crosstrial_<case>_recentered: ½[np.cov(xs_k, ys_k)[0, 1] of each pairing]
# (folds × K). "brain" has random folds; "model" uses one x for both repeats
# (a model against a brain; x is wide, so the Gram route); "grouped" takes its
# folds from GroupKFold(4) over crosstrial_grouped_groups.
#   crosstrial_<case>_{x1,x2,y1,y2,folds}: the inputs ("model" has no x2).
def pair_spectra(x, y, lab, K):
    cov, rec = [], []
    for f in range(lab.max() + 1):
        tr, te = lab != f, lab == f
        xs, ys = PLSSVD(n_components=K, scale=False).fit(x[tr], y[tr]).transform(x[te], y[te])
        cov.append(np.sum(xs * ys, 0) / (te.sum() - 1) / np.sqrt(x.shape[1] * y.shape[1]))
        rec.append([np.cov(xs[:, k], ys[:, k])[0, 1] for k in range(K)])
    return np.array(cov), np.array(rec)

rng4 = np.random.default_rng(14)
for name, (n, dx, dy, model) in {"brain": (96, 14, 10, False), "model": (64, 150, 12, False), "grouped": (60, 10, 8, False)}.items():
    z = rng4.standard_normal((n, 4))
    a, b = rng4.standard_normal((4, dx)), rng4.standard_normal((4, dy))
    x1 = z @ a + 0.7 * rng4.standard_normal((n, dx))
    x2 = x1 if name == "model" else z @ a + 0.7 * rng4.standard_normal((n, dx))
    y1, y2 = (z @ b + 0.7 * rng4.standard_normal((n, dy)) for _ in range(2))
    if name == "grouped":
        groups = np.repeat(rng4.permutation(np.arange(100, 112)), 5)
        np.save(f"crosstrial_{name}_groups.npy", groups.astype(np.int64))
        lab = group_folds(groups, 4)
    else:
        lab = folds(n, 4, 0)
    K = min(min((lab != f).sum() for f in range(4)) - 1, dx, dy)
    c12, r12 = pair_spectra(x1, y2, lab, K)
    c21, r21 = pair_spectra(x2, y1, lab, K)
    arrays = {"x1": x1, "y1": y1, "y2": y2, "folds": lab.astype(np.int64), "spec": (c12 + c21) / 2, "recentered": (r12 + r21) / 2}
    if name != "model":
        arrays["x2"] = x2
    for key, v in arrays.items():
        np.save(f"crosstrial_{name}_{key}.npy", v)
