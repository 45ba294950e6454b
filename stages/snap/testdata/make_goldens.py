"""Goldens for stages/snap: SNAP's reference formulas re-implemented in numpy.

Run with Debian's python (numpy, scipy, sklearn):
    cd stages/snap/testdata && /usr/bin/python3 make_goldens.py

The formulas are those of github.com/chung-neuroai-lab/SNAP:
  snap/metrics.py get_eigenspace, kernel_spectrum_from_feat (eigs of K/P + eps I,
      eigenvectors scaled by sqrt(P), weights = vec.T @ y / P, orkhs_power);
  snap/regression_utils.py solve_kappa_gamma, gen_error_theory (Newton/Halley on
      kappa - reg*p - kappa*sum(eigs/(p*eigs+kappa)) from x0 = reg + sum(eigs),
      mode_err = kappa^2/(1-gamma)/(p*eigs+kappa)^2, gen = sum mode_err*w^2/sum w^2);
  snap/data_utils.py process_model, compute_mode_errs (eds, cum_eds, tads, cum_tads,
      feat_dims, task_dims, mode_threshold ranks, error-mode radius and dimension),
  with the degenerate modes past the rank merged into one (lumped).
jax's autodiff of kappa_fn is replaced by its closed-form derivatives.
"""
import numpy as np
from scipy import optimize
from sklearn.linear_model import Ridge

EPS = 1e-14


def save(name, a):
    np.save(name + ".npy", np.ascontiguousarray(np.asarray(a, dtype=np.float64)))


def get_eigenspace(act):
    P = act.shape[0]
    K = act @ act.T
    eig, vec = np.linalg.eigh(K / P + EPS * np.eye(P))
    return eig[::-1], vec[:, ::-1] * np.sqrt(P)


def kernel_spectrum(feat, y, cent):
    if cent:
        feat = feat - feat.mean(0, keepdims=True)
        y = y - y.mean(0, keepdims=True)
    eig, vec = get_eigenspace(feat)
    w = vec.T @ y / feat.shape[0]
    return eig, w


def solve_kappa(p, reg, eigs):
    eigs = np.abs(eigs)
    lam = reg * p

    def f(k):
        k = abs(k)
        return k - lam - k * np.sum(eigs / (p * eigs + k))

    def fp(k):
        k = abs(k)
        return 1 - np.sum(p * eigs**2 / (p * eigs + k) ** 2)

    def fpp(k):
        k = abs(k)
        return np.sum(2 * p * eigs**2 / (p * eigs + k) ** 3)

    root = optimize.root_scalar(f, fprime=fp, fprime2=fpp, x0=reg + np.sum(eigs), x1=reg,
                                method="newton", xtol=1e-15, maxiter=200).root
    hi = lam + np.sum(eigs)
    check = optimize.brentq(f, 1e-300, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=2000)
    assert abs(root - check) <= 1e-10 * check, (root, check)
    return abs(root)


def gen_error_theory(eigs, weights, reg, pvals):
    eigs = np.abs(eigs)
    total = (weights**2).sum()
    kappa = np.array([solve_kappa(p, reg, eigs) for p in pvals])
    gamma = np.array([np.sum(p * eigs**2 / (p * eigs + k) ** 2) for p, k in zip(pvals, kappa)])
    mode_err = np.array([k**2 / (1 - g) / (p * eigs + k) ** 2 for p, k, g in zip(pvals, kappa, gamma)])
    gen = mode_err @ (weights**2) / total
    return kappa, gamma, mode_err, gen


def eff_dimension(v):
    return v.sum() ** 2 / (v**2).sum()


def mode_threshold(v, threshold):
    cum = v.cumsum(0) / v.sum()
    idx = np.where(cum > threshold)[0]
    return len(v) if len(idx) == 0 else idx[0] + 1


def lumped(v, rank):
    """The project's one deviation from SNAP (stages/snap Summary): the
    degenerate modes past the rank are merged into one."""
    return v if rank >= len(v) else np.append(v[:rank], v[rank:].sum())


def summaries(eig, w, rank, threshold=0.99):
    w_sq = lumped((w**2).sum(-1), rank)
    eig = lumped(eig, rank)
    eig = eig / eig.sum()
    w_sq = w_sq / w_sq.sum()
    cum_e = np.cumsum(eig) / eig.sum()
    cum_w = np.cumsum(w_sq) / w_sq.sum()
    return np.array([eff_dimension(eig), eff_dimension(1 - cum_e),
                     eff_dimension(w_sq), eff_dimension(1 - cum_w),
                     eff_dimension(eig * (1 - cum_e)), eff_dimension(w_sq * (1 - cum_w)),
                     mode_threshold(eig, threshold), mode_threshold(w_sq, threshold),
                     w_sq[rank:].sum()])


def error_modes(mode_err, w):
    w_sq = (w**2).sum(-1)
    dyn = mode_err * (w_sq / w_sq.sum())[None, :]
    radius = np.linalg.norm(dyn, axis=1)
    return radius, dyn.sum(-1) ** 2 / (dyn**2).sum(-1)


def theory_case(rng):
    modes = 300
    k = np.arange(1, modes + 1)
    eigs = k**-1.3
    weights = (k**-0.8)[:, None] * rng.standard_normal((modes, 3))
    pvals = np.logspace(np.log10(5), np.log10(modes - 10), 12)
    save("theory_eigs", eigs)
    save("theory_weights", weights)
    save("theory_pvals", pvals)
    for tag, reg in [("ridgeless", 1e-14), ("ridge", 1e-3)]:
        kappa, gamma, mode_err, gen = gen_error_theory(eigs, weights, reg, pvals)
        radius, dim = error_modes(mode_err, weights)
        save(f"theory_{tag}_kappa", kappa)
        save(f"theory_{tag}_gamma", gamma)
        save(f"theory_{tag}_mode_err", mode_err)
        save(f"theory_{tag}_gen", gen)
        save(f"theory_{tag}_radius", radius)
        save(f"theory_{tag}_dim", dim)


def kernel_case(rng):
    P, N = 120, 40
    x = rng.standard_normal((P, N)) * (np.arange(1, N + 1) ** -0.7)[None, :] + 0.3
    y = x @ rng.standard_normal((N, 2)) + 0.5 * rng.standard_normal((P, 2)) + 1.0
    save("kernel_x", x)
    save("kernel_y", y)
    for tag, cent in [("uncent", False), ("cent", True)]:
        eig, w = kernel_spectrum(x, y, cent)
        rank = min(P, N)
        orkhs = (w[rank:] ** 2).sum(0) / (w**2).sum(0)
        save(f"kernel_{tag}_eigs", eig)
        save(f"kernel_{tag}_absweights", np.abs(w[:rank]))
        save(f"kernel_{tag}_orkhs", orkhs)
        save(f"kernel_{tag}_summary", summaries(eig, w, rank))


def ridge_case(rng):
    """Kernel ridge with the linear kernel equals primal ridge without intercept."""
    x = np.load("kernel_x.npy")
    y = np.load("kernel_y.npy")
    tr = np.arange(0, 120, 2)[:50]
    p, reg = len(tr), 1e-3
    pred = Ridge(alpha=p * reg, fit_intercept=False, solver="svd").fit(x[tr], y[tr]).predict(x)
    save("ridge_train", tr)
    save("ridge_pred", pred)


def main():
    rng = np.random.default_rng(20240615)
    theory_case(rng)
    kernel_case(rng)
    ridge_case(rng)


if __name__ == "__main__":
    main()
