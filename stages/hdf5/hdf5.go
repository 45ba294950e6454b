// Package hdf5 reads one numeric dataset, or a hyperslab of it, from an
// HDF5 file (NWB files, MATLAB v7.3 files and NSD betas are HDF5), for the
// load stage's hdf5 source.
//
// It binds Debian's libhdf5 (package libhdf5-dev, serial build) through
// cgo rather than reading the format in Go: the library is the reference
// implementation, maintained with the format, and handles every layout
// (contiguous, chunked with any index, compact), filter (gzip, shuffle,
// fletcher32, szip) and type conversion that h5py and MATLAB write. No
// maintained pure-Go reader is served by the module proxy this project
// uses (gonum.org/v1/hdf5, itself a cgo binding, is not either), and
// writing one would mean reimplementing B-trees, chunk indices and filters.
// The build tag nohdf5 (or CGO_ENABLED=0) builds a stub whose Read returns
// ErrUnsupported.
package hdf5

import (
	"errors"
	"fmt"
)

// Data is a dataset read into memory in C order. Exactly one of F32, F64
// and I64 holds the values: float32 data stays float32, other floats
// become float64 and integers of any width become int64.
type Data struct {
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// Slice selects a hyperslab: Count[d] elements from Start[d] on every axis
// d (no stride). A nil *Slice reads the whole dataset.
type Slice struct {
	Start, Count []int
}

// ErrUnsupported is returned by Read in a build without libhdf5.
var ErrUnsupported = errors.New("hdf5: this eigenlab was built without HDF5 support (needs cgo and Debian's libhdf5-dev; build tag nohdf5 set or CGO_ENABLED=0)")

// Read reads dataset name (a path such as "/recording/area/responses")
// from the HDF5 file at path, or the hyperslab sel of it. It refuses, before
// allocating, a selection of more than maxBytes bytes in memory (8 bytes
// per element, 4 for float32), the same guard the .npy reader applies.
// Errors name the file and the dataset, and say what was expected.
func Read(path, name string, sel *Slice, maxBytes int64) (*Data, error) {
	d, err := read(path, name, sel, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("hdf5 file %s, dataset %q: %w", path, name, err)
	}
	return d, nil
}

// selection checks sel against the dataset's dims and returns the shape to
// read and its element count.
func selection(dims []int, sel *Slice) (shape []int, n int64, err error) {
	if sel == nil {
		shape = dims
	} else {
		if len(sel.Start) != len(dims) || len(sel.Count) != len(dims) {
			return nil, 0, fmt.Errorf("slice has start %v and count %v for a %d-d dataset of shape %v, want one start and one count per axis",
				sel.Start, sel.Count, len(dims), dims)
		}
		for d := range dims {
			if sel.Start[d] < 0 || sel.Count[d] < 1 || sel.Start[d]+sel.Count[d] > dims[d] {
				return nil, 0, fmt.Errorf("slice axis %d: start %d count %d outside 0..%d, want 0 ≤ start, 1 ≤ count, start+count ≤ %d",
					d, sel.Start[d], sel.Count[d], dims[d], dims[d])
			}
		}
		shape = sel.Count
	}
	n = 1
	for _, s := range shape {
		if s != 0 && n > (1<<62)/int64(s) {
			return nil, 0, fmt.Errorf("shape %v overflows", shape)
		}
		n *= int64(s)
	}
	return append([]int(nil), shape...), n, nil
}

// checkBudget refuses n elements of size bytes each above maxBytes.
func checkBudget(shape []int, n, size, maxBytes int64) error {
	if n > maxBytes/size {
		return fmt.Errorf("selection of shape %v needs %d bytes, over the budget of %d bytes (read a slice, or raise the budget)",
			shape, n*size, maxBytes)
	}
	return nil
}
