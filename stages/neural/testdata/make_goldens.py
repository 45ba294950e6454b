"""Goldens for stages/neural noise ceilings, in numpy (Debian python3-numpy).

    cd stages/neural/testdata && /usr/bin/python3 make_goldens.py

Planted responses: signal s[stim, unit]*sig[unit] + noise*noi[unit], shape
(stimuli, repeats, units), with per-unit signal and noise sd chosen so the
ceilings span 0 to ~100%.
  split-half: even vs odd repeats, Pearson r of the half-means across stimuli,
      Spearman-Brown 2r/(1+r);
  NSD ncsnr (Allen et al. 2022): noise var = mean over stimuli of var across
      repeats (ddof 1); signal var = max(0, var of all trials (ddof 1) - noise
      var); ncsnr = sqrt(signal/noise); NC = 100 ncsnr^2 / (ncsnr^2 + 1/n).
"""
import numpy as np

rng = np.random.default_rng(5)
S, R, U = 400, 4, 6
sig = np.array([0.0, 0.3, 0.7, 1.0, 2.0, 4.0])
noi = np.array([1.0, 1.0, 1.0, 0.5, 1.0, 0.25])
x = rng.standard_normal((S, 1, U)) * sig + rng.standard_normal((S, R, U)) * noi + 3.0

a, b = x[:, 0::2].mean(1), x[:, 1::2].mean(1)
ac, bc = a - a.mean(0), b - b.mean(0)
r = (ac * bc).sum(0) / np.sqrt((ac**2).sum(0) * (bc**2).sum(0))
split = 2 * r / (1 + r)

noise = x.var(axis=1, ddof=1).mean(0)
total = x.reshape(S * R, U).var(axis=0, ddof=1)
ncsnr = np.sqrt(np.maximum(0, total - noise) / noise)
nc = 100 * ncsnr**2 / (ncsnr**2 + 1 / R)

for name, v in [("x", x), ("splithalf", split), ("ncsnr", ncsnr), ("nc", nc)]:
    np.save(f"ceiling_{name}.npy", np.ascontiguousarray(v, dtype=np.float64))
