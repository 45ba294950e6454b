//go:build !cgo || nohdf5

package hdf5

func read(path, name string, sel *Slice, maxBytes int64) (*Data, error) {
	return nil, ErrUnsupported
}
