"""Goldens for stages/manifold, from the reference algorithm.

Run with Debian's python: /usr/bin/python3 make_goldens.py (numpy, scipy,
cvxopt). The functions below are the reference implementation's
(github.com/schung039/neural_manifolds_replicaMFT,
mftma/manifold_analysis_correlation.py: manifold_analysis_corr,
each_manifold_analysis_D1, maxproj, minimize_vt_sq, and the res_coeff0
part of fun_FA) with one change: the low-rank centre basis V11, which the
reference finds with pymanopt (not installed here), is an argument. The
Gaussian samples t are drawn here and written into the goldens so that Go
uses identical ones.

Also writes the mean-field capacity of D-dimensional balls of radius R
(Chung, Lee & Sompolinsky 2016/2018) by numerical integration, for the
closed-form checks.
"""
import os

import numpy as np
from cvxopt import matrix, solvers
from scipy import integrate, stats
from scipy.linalg import qr

solvers.options['show_progress'] = False
solvers.options['maxiters'] = 1000000
solvers.options['abstol'] = 1e-12
solvers.options['reltol'] = 1e-12
solvers.options['feastol'] = 1e-12

STATUS = {}
HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    np.save(os.path.join(HERE, name + '.npy'), np.ascontiguousarray(np.asarray(a, dtype=np.float64)))


# ---- the reference, as in manifold_analysis_correlation.py ----

def manifold_analysis(XtotT, kappa, t_vecs, V11=None):
    num_manifolds = len(XtotT)
    Xori = np.concatenate(XtotT, axis=1)
    X_origin = np.mean(Xori, axis=1, keepdims=True)
    Xtot0 = [XtotT[i] - X_origin for i in range(num_manifolds)]
    centers = np.stack([np.mean(XtotT[i], axis=1) for i in range(num_manifolds)], axis=1)
    res_coeff0 = center_correlation(centers)
    a, r, d = np.zeros(num_manifolds), np.zeros(num_manifolds), np.zeros(num_manifolds)
    for i in range(num_manifolds):
        Xr = Xtot0[i]
        Xr_ns = Xr if V11 is None else Xr - V11 @ (V11.T @ Xr)
        Xr0_ns = np.mean(Xr_ns, axis=1)
        S_r = (Xr_ns - Xr0_ns.reshape(-1, 1)) / np.linalg.norm(Xr0_ns)
        D, m = S_r.shape
        if D > m:
            Q, R = qr(S_r, mode='economic')
            S_r = Q.T @ S_r
            D, m = S_r.shape
        sD1 = np.concatenate([S_r, np.ones((1, m))], axis=0)
        a[i], r[i], d[i] = each_manifold_analysis_D1(sD1, kappa, t_vecs[i])
    return a, r, d, res_coeff0


def center_correlation(centers):
    N, P = centers.shape
    Xb = centers.T - np.mean(centers.T, axis=0, keepdims=True)
    q, _ = qr(Xb.T, mode='economic')
    X0 = Xb @ q[:, 0:P - 1]
    xnorm = np.sqrt(np.square(X0).sum(axis=1, keepdims=True))
    C0 = (X0 @ X0.T) / (xnorm @ xnorm.T)
    return (np.sum(np.abs(C0)) - P) / (P * (P - 1))


def each_manifold_analysis_D1(sD1, kappa, t_vec, eps=1e-8):
    D1, m = sD1.shape
    D = D1 - 1
    n_t = t_vec.shape[1]
    ss, gg = maxproj(t_vec, sD1)
    s_all = np.empty((D1, n_t))
    for i in range(n_t):
        t = t_vec[:, i:i + 1]
        if gg[i] + kappa < 0:
            s_f = ss[:, i:i + 1]
        else:
            v_f, alpha = minimize_vt_sq(t, sD1, kappa)
            if np.linalg.norm(v_f - t) < eps:
                s_f = ss[:, i:i + 1]
            else:
                s_f = (t - v_f) / np.sum(alpha)
        s_all[:, i] = s_f[:, 0]
    max_ts = np.maximum(np.sum(t_vec * s_all, axis=0) + kappa, 0)
    s_sum = np.sum(np.square(s_all), axis=0)
    lamb = np.asarray([max_ts[i] / s_sum[i] if s_sum[i] > 0 else 0 for i in range(n_t)])
    a_Mfull = 1 / np.mean(np.square(lamb) * s_sum)
    ds = (s_all - s_all.mean(axis=1, keepdims=True))[0:-1, :] / s_all[-1, :]
    R_M = np.sqrt(np.mean(np.sum(np.square(ds), axis=0)))
    t_hat = t_vec[0:D, :] / np.sqrt(np.sum(np.square(t_vec[0:D, :]), axis=0, keepdims=True))
    s_hat = s_all[0:D, :] / np.sqrt(np.sum(np.square(s_all[0:D, :]), axis=0, keepdims=True) + 1e-12)
    D_M = D * np.square(np.mean(np.sum(t_hat * s_hat, axis=0)))
    return a_Mfull, R_M, D_M


def maxproj(t_vec, sD1):
    D1, n_t = t_vec.shape
    D = D1 - 1
    s0 = np.zeros((D1, n_t))
    gt = np.zeros(n_t)
    for i in range(n_t):
        t = t_vec[:, i]
        k = np.argmax(t[0:D] @ sD1[0:D])
        s0[:, i] = np.append(sD1[0:D, k], 1)
        gt[i] = t @ s0[:, i]
    return s0, gt


def minimize_vt_sq(t, sD1, kappa):
    D1, m = sD1.shape
    out = solvers.qp(matrix(np.identity(D1)), matrix(-t.astype(np.double)),
                     matrix(sD1.T.astype(np.double)), matrix(-np.ones(m) * kappa))
    # The reference uses the output whatever the status: at these 1e-12
    # tolerances cvxopt often stops with 'unknown' a few digits short.
    STATUS[out['status']] = STATUS.get(out['status'], 0) + 1
    return np.array(out['x']), np.array(out['z'])


# ---- cases ----

def clouds(rng, p, m, n, spread, shared):
    """p manifolds of m points in n dims: centres with a shared component
    (so centre correlations are not ~0) plus anisotropic scatter."""
    common = rng.standard_normal(n)
    out = []
    for _ in range(p):
        c = rng.standard_normal(n) + shared * common
        axes = rng.standard_normal((n, m)) * (spread / np.arange(1, m + 1) ** 0.5)
        out.append(c[:, None] + axes @ rng.standard_normal((m, m)) / np.sqrt(m))
    return out


def case(name, rng, p, m, n, kappa, n_t, spread, shared, center_rank=0):
    X = clouds(rng, p, m, n, spread, shared)
    V11 = None
    if center_rank:
        centers = np.stack([x.mean(axis=1) for x in X], axis=1)
        U, _, _ = np.linalg.svd(centers - centers.mean(axis=1, keepdims=True), full_matrices=False)
        V11 = U[:, :center_rank]
        save(name + '_basis', V11)
    d = min(n, m)
    t_vecs = [rng.standard_normal((d + 1, n_t)) for _ in range(p)]
    a, r, dm, cc = manifold_analysis(X, kappa, t_vecs, V11)
    save(name + '_x', np.stack([x.T for x in X]))            # (P, m, N): rows are points
    save(name + '_t', np.stack([t.T for t in t_vecs]))       # (P, n_t, D+1)
    save(name + '_params', [kappa])
    save(name + '_capacity', a)
    save(name + '_radius', r)
    save(name + '_dimension', dm)
    save(name + '_center_corr', [cc])
    print(name, 'qp status', STATUS)
    STATUS.clear()
    print(name, 'capacity', 1 / np.mean(1 / a), 'radius', r.mean(), 'dim', dm.mean(), 'cc', cc)


def ball_capacity(R, D, kappa):
    """1/α for D-dim balls of radius R: E over t0 ~ N(0,1), r = |t_perp| ~ chi_D
    of the squared distance from (r, t0) to {v0 + R|v_perp| <= -kappa}."""
    def inner(r):
        lo, hi = -kappa - R * r, (r / R - kappa) if R > 0 else np.inf
        touch = integrate.quad(lambda u: (u + R * r + kappa) ** 2 / (1 + R * R) * stats.norm.pdf(u), lo, hi)[0]
        apex = 0.0 if R == 0 else integrate.quad(lambda u: (r * r + (u + kappa) ** 2) * stats.norm.pdf(u), hi, np.inf)[0]
        return touch + apex
    inv = integrate.quad(lambda r: inner(r) * stats.chi.pdf(r, D), 0, np.inf)[0]
    return 1 / inv


def main():
    rng = np.random.default_rng(20240515)
    case('wide', rng, p=6, m=12, n=40, kappa=0.0, n_t=60, spread=0.8, shared=0.7)
    case('margin', rng, p=5, m=10, n=30, kappa=0.2, n_t=50, spread=0.5, shared=0.0)
    case('narrow', rng, p=5, m=15, n=8, kappa=0.0, n_t=50, spread=0.6, shared=0.5)
    case('basis', rng, p=6, m=12, n=40, kappa=0.0, n_t=60, spread=0.8, shared=1.5, center_rank=2)
    balls = [(0.0, 1, 0.0), (0.0, 1, 0.5), (0.5, 1, 0.0), (1.0, 1, 0.0), (2.0, 1, 0.0),
             (0.5, 2, 0.0), (1.0, 2, 0.0), (1.0, 1, 0.3)]
    table = [[R, D, k, ball_capacity(R, D, k)] for R, D, k in balls]
    save('balls', table)
    for row in table:
        print('ball R=%g D=%d kappa=%g alpha=%.6f' % tuple(row))


if __name__ == '__main__':
    main()
