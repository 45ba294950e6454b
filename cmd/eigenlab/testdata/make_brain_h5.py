"""A synthetic recording with repeats and areas for the brain template's
end-to-end test (TestBrainTemplateRecoversPlantedAlpha), written by h5py
(Debian python3-h5py):

    cd cmd/eigenlab/testdata && /usr/bin/python3 make_brain_h5.py

256 stimuli × 2 repeats × 96 units, stored as NSD-style float32
/responses (stimuli, repeats, units) with the area of each unit in /areas
(48 units of area 1, then 48 of area 2). In area a the stimulus-driven
signal has covariance eigenvalues k^-ALPHA[a] (k = 1..48) on a random
orthonormal basis of its units, the same in both repeats; every trial adds
independent N(0, SIGMA^2) noise per unit, so plain PCA of one repeat is
biased toward a flat spectrum while cvPCA of the two repeats is not.
"""
import h5py
import numpy as np

STIMULI, REPEATS, PER_AREA = 256, 2, 48
ALPHA = {1: 1.0, 2: 1.5}
SIGMA = 0.1

rng = np.random.default_rng(20261203)
blocks, areas = [], []
for area, alpha in ALPHA.items():
    lam = np.arange(1, PER_AREA + 1) ** -alpha
    basis, _ = np.linalg.qr(rng.standard_normal((PER_AREA, PER_AREA)))
    signal = (rng.standard_normal((STIMULI, PER_AREA)) * np.sqrt(lam)) @ basis.T
    blocks.append(signal)
    areas += [area] * PER_AREA
signal = np.concatenate(blocks, axis=1)
trials = signal[:, None, :] + SIGMA * rng.standard_normal((STIMULI, REPEATS, signal.shape[1]))

with h5py.File("brain_recording.h5", "w") as f:
    f.create_dataset("responses", data=trials.astype(np.float32), chunks=(64, 2, 96), compression="gzip")
    f.create_dataset("areas", data=np.array(areas, dtype=np.int16))
    f.attrs["alpha"] = [ALPHA[1], ALPHA[2]]
    f.attrs["sigma"] = SIGMA
