"""Small HDF5 files for stages/hdf5, written by h5py (Debian python3-h5py).

    cd stages/hdf5/testdata && /usr/bin/python3 make_testdata.py

Every value is a formula of its index, so the Go tests recompute what they
expect without Python:
  value(i, j, k) = 100*i + 10*j + k + 0.25  (floats; ints drop the 0.25)
"""
import h5py
import numpy as np


def planted(shape, dtype):
    idx = np.indices(shape)
    weights = [100, 10, 1][-len(shape):]
    v = sum(w * i for w, i in zip(weights, idx))
    if np.issubdtype(dtype, np.floating):
        v = v + 0.25
    return v.astype(dtype)


with h5py.File("layouts.h5", "w") as f:
    f.create_dataset("contiguous", data=planted((6, 5), np.float64))
    f.create_dataset("chunked", data=planted((9, 7, 3), np.float32), chunks=(4, 7, 1))
    f.create_dataset("gzip", data=planted((9, 7, 3), np.float32), chunks=(3, 3, 3),
                     compression="gzip", compression_opts=6, shuffle=True)
    g = f.create_group("recording/area")
    g.create_dataset("responses", data=planted((8, 2, 6), np.float64), chunks=(2, 2, 6),
                     compression="gzip")
    f.create_dataset("ints", data=planted((4, 5), np.int16))
    f.create_dataset("labels", data=np.array([3, 1, 4, 1, 5], dtype=np.int64))
    f.create_dataset("text", data=np.array([b"a", b"b"]))
    f.create_dataset("scalar", data=np.float64(2.5))
