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

# --- §5.4 random-rotation null, by brute force -------------------------------------------------
# null_<case>_*.npy: the inputs of four cases, the observed cosine matrix, overlap and counts, and
# the null of every count drawn literally as METHODS.md §5.4 states it: network 2's compared
# eigenvectors F (rows) replaced by Q·F with Q Haar on O(D2) (QR of a Gaussian, signs of R's
# diagonal moved into Q), NULL_DRAWS times. The Go sampler draws the same law in O(top³).
#   rot27: w2 = w1 with its input space rotated (the null itself): D2 = top = 27, tau = u*(27, 0.01)
#   trap:  independent 20×3×3×3 weights: top = 20, D2 = 27 (D2 - top < top)
#   proj:  C1 = 10 > C2 = 8 aligned by activations (T = A⊗I is not an isometry): top = 30, D2 = 72
#   corr:  te and f given directly: 15 unit vectors in R^40 with pairwise cosines ≈ 0.8, so that the
#          null's dependence between rows (not only each entry's Beta law) is tested
# counts = [n_shared_diag (tau), n_shared_diag_ustar (u*), n_shared_match (tau)]; null_stats rows =
# those counts and the number of columns whose best match is ≥ tau (sensitive to the joint law);
# columns = mean, sd, 95% and 99% quantiles (numpy linear).
from scipy.special import betaincinv

NULL_DRAWS = 20000


def haar(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def eigvecs(w):
    _, _, vt = np.linalg.svd(w.reshape(w.shape[0], -1), full_matrices=False)
    return vt


def alignment(phi, psi):
    p = phi.transpose(0, 2, 3, 1).reshape(-1, phi.shape[1])
    q = psi.transpose(0, 2, 3, 1).reshape(-1, psi.shape[1])
    u, _, vt = np.linalg.svd(p.T @ q / p.shape[0], full_matrices=False)
    return vt.T @ u.T  # C2×C1


def counts(m, tau, ustar):
    def diag(t):
        d = 0
        while d < len(m) and m[d, d] >= t:
            d += 1
        return d
    return [diag(tau), diag(ustar), int((m.max(axis=1) >= tau).sum())]


def null_stats(name, rng, te, f, tau, p_value, arrays):
    """te: mapped eigenvectors of network 1 (rows), f: network 2's (rows, orthonormal), both top×D2."""
    d2 = te.shape[1]
    te = te / np.linalg.norm(te, axis=1, keepdims=True)
    ustar = np.sqrt(betaincinv(0.5, (d2 - 1) / 2, 1 - p_value))
    m = np.abs(te @ f.T)
    overlap = [np.sum((te[:k] @ f[:k].T) ** 2) / k for k in range(1, len(te) + 1)]
    null = []
    for _ in range(NULL_DRAWS):
        md = np.abs(te @ (f @ haar(rng, d2).T).T)
        null.append(counts(md, tau, ustar) + [int((md.max(axis=0) >= tau).sum())])
    null = np.array(null, float)
    stats = np.stack([null.mean(0), null.std(0, ddof=1), np.quantile(null, 0.95, axis=0), np.quantile(null, 0.99, axis=0)], 1)
    arrays.update(cosines=m, overlap=np.array(overlap), counts=np.array(counts(m, tau, ustar), float),
                  null_stats=stats, params=np.array([tau, p_value]))
    for k, v in arrays.items():
        np.save(f"null_{name}_{k}.npy", v)


def null_case(name, rng, w1, w2, tau, p_value, phi=None, psi=None):
    c1, taps = w1.shape[1], w1.shape[2] * w1.shape[3]
    a = np.eye(c1) if phi is None else alignment(phi, psi)
    e, f = eigvecs(w1), eigvecs(w2)
    top = min(50, len(e), len(f))
    te = np.stack([(a @ v.reshape(c1, taps)).ravel() for v in e[:top]])
    arrays = dict(w1=w1, w2=w2) if phi is None else dict(w1=w1, w2=w2, phi=phi, psi=psi)
    null_stats(name, rng, te, f[:top], tau, p_value, arrays)


rng = np.random.default_rng(54)
w1 = rng.standard_normal((64, 3, 3, 3))
w2 = (w1.reshape(64, 27) @ haar(rng, 27).T).reshape(64, 3, 3, 3)
null_case("rot27", rng, w1, w2, np.sqrt(betaincinv(0.5, 13, 0.99)), 0.01)
null_case("trap", rng, rng.standard_normal((20, 3, 3, 3)), rng.standard_normal((20, 3, 3, 3)), 0.4, 0.01)
phi = rng.standard_normal((60, 10, 2, 2))
psi = np.einsum("dc,nchw->ndhw", rng.standard_normal((8, 10)), phi) + 0.5 * rng.standard_normal((60, 8, 2, 2))
null_case("proj", rng, rng.standard_normal((30, 10, 3, 3)), rng.standard_normal((30, 8, 3, 3)), 0.25, 0.01, phi, psi)
te = rng.standard_normal(40) + 0.5 * rng.standard_normal((15, 40))
f = haar(rng, 40)[:15]
null_stats("corr", rng, te, f, 0.3, 0.01, dict(te=te, f=f))
