"""Small HDF5 recording for the load stage's hdf5 source, written by h5py
(Debian python3-h5py):

    cd stages/testdata/hdf5 && /usr/bin/python3 make_recording.py

Every value is a formula of its stimulus s, repeat r and unit u, so the Go
tests recompute what they expect without Python:
  response(s, r, u) = 100*s + 10*r + u + 0.25
"""
import h5py
import numpy as np

S, R, U = 5, 3, 4
s, r, u = np.indices((S, R, U))
sru = (100 * s + 10 * r + u + 0.25)

with h5py.File("recording.h5", "w") as f:
    g = f.create_group("rec")
    # stored repeats × stimuli × units, chunked and compressed, as float32
    g.create_dataset("rsu", data=sru.transpose(1, 0, 2).astype(np.float32),
                     chunks=(1, 2, U), compression="gzip", shuffle=True)
    g.create_dataset("uss", data=sru.transpose(2, 0, 1))  # units × stimuli × repeats
    g.create_dataset("area", data=np.array([2, 1, 2, 7], dtype=np.int32))
    g.create_dataset("area_float", data=np.array([2.0, 1.0, 2.0, 7.0]))
    g.create_dataset("area_bad", data=np.array([2.0, 1.5, 2.0, 7.0]))
    f.create_dataset("x", data=sru[:, 0, :])  # stimuli × units, repeat 0
