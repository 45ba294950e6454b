#!/usr/bin/python3
"""Goldens for the effect sizes of report findings (findings_test.go), from
scipy (Debian python3-scipy). Run from this directory:

    /usr/bin/python3 make_goldens.py

Writes finding_effects.npy: one row [mean, lo, hi] per case below, the 95% CI
of the mean paired difference d = left - right that a finding states:
- with n >= 2 cells, the Student t interval over the cells,
  mean +- t_{0.975, n-1} * sd / sqrt(n) (sd with ddof=1);
- with one cell, d +- sqrt(hw_l^2 + hw_r^2), hw the half-width of each side's
  recorded 2.5%..97.5% interval (0 for a constant side).
"""
import numpy as np
from scipy import stats

# Differences over cells (t interval). Keep in step with effectCases in
# findings_test.go.
SPREAD = [
    [0.10, 0.12, 0.14, 0.16],         # resolved, positive
    [0.0, 0.1, 0.2, 0.3],             # crosses 0
    [-0.10, -0.12, -0.14, -0.16],     # resolved, negative
    [0.05, -0.02, 0.11, 0.07, 0.01],  # five cells
]
# One cell: (left, left CI, right, right CI or None for a constant).
ONE = [
    (1.3, (1.2, 1.4), 1.0, (0.9, 1.2)),
    (1.1, (0.9, 1.3), 1.0, None),
]

rows = []
for d in SPREAD:
    d = np.asarray(d)
    lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    rows.append([d.mean(), lo, hi])
for left, lci, right, rci in ONE:
    hw = [(lci[1] - lci[0]) / 2, 0.0 if rci is None else (rci[1] - rci[0]) / 2]
    half = np.hypot(*hw)
    rows.append([left - right, left - right - half, left - right + half])
np.save("finding_effects.npy", np.array(rows, dtype=np.float64))
