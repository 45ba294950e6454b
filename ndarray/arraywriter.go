package ndarray

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"sync"
	"unsafe"
)

// Scratch is where stages write outputs too large to build in memory
// (CreateArray), and the list of files they made there, so that whoever
// runs the stage can take the outputs over and remove the rest. The runner
// gives each execution a Scratch in the cache's temporary directory: on the
// cache's file system, so outputs are adopted by rename, and swept by GC
// if the process dies.
type Scratch struct {
	dir   string
	mu    sync.Mutex
	files []string
}

// NewScratch returns a Scratch writing into dir, which must exist.
func NewScratch(dir string) *Scratch { return &Scratch{dir: dir} }

// Owns reports whether path is a file this Scratch made.
func (s *Scratch) Owns(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.files, path)
}

// RemoveAll removes every file the Scratch made that is still at its path
// (adopted outputs have been renamed away). It is safe to call on a
// failed, cancelled or panicked execution.
func (s *Scratch) RemoveAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.files {
		os.Remove(p)
	}
	s.files = nil
}

// create makes a new file in the scratch directory and records it.
func (s *Scratch) create() (*os.File, error) {
	f, err := os.CreateTemp(s.dir, "array-*.npy")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.files = append(s.files, f.Name())
	s.mu.Unlock()
	return f, nil
}

// ArrayWriter writes an array of a fixed dtype and shape to a .npy file
// front to back, hashing it as it goes, so that an output larger than
// memory can be produced a chunk at a time. The file has the bytes
// WriteNPY would write for the same values, and Close's ArrayFile the
// digest the Array would have. It is not safe for concurrent use.
type ArrayWriter struct {
	f       *os.File
	bw      *bufio.Writer
	h       *ArrayHasher
	af      *ArrayFile
	written int64
	closed  bool
}

// CreateArray starts an array of the given dtype (Float32, Float64 or
// Int64) and shape in the scratch directory. Write its elements in C order,
// then Close it. If the stage fails before Close, the Scratch's owner
// removes the partial file (RemoveAll).
func (s *Scratch) CreateArray(dtype DType, shape []int) (*ArrayWriter, error) {
	if _, ok := npyDescr[dtype]; !ok {
		panic(fmt.Sprintf("ndarray: CreateArray of dtype %q", dtype))
	}
	f, err := s.create()
	if err != nil {
		return nil, fmt.Errorf("creating a %s%v output: %w", dtype, shape, err)
	}
	hdr := npyHeader(dtype, shape)
	w := &ArrayWriter{
		f:  f,
		bw: bufio.NewWriterSize(f, 1<<20),
		h:  NewArrayHasher(dtype, shape),
		af: &ArrayFile{Path: f.Name(), DType: dtype, Shape: append([]int{}, shape...), DataOffset: int64(len(hdr))},
	}
	if _, err := w.bw.Write(hdr); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return w, nil
}

// Write appends raw little-endian element bytes (C order). Writing past
// the end of the array is an error.
func (w *ArrayWriter) Write(p []byte) (int, error) {
	if w.written+int64(len(p)) > w.af.payloadBytes() {
		return 0, fmt.Errorf("writing %s: %d bytes past the %d the shape holds", w.af.Describe(), w.written+int64(len(p))-w.af.payloadBytes(), w.af.payloadBytes())
	}
	w.h.Write(p)
	n, err := w.bw.Write(p)
	w.written += int64(n)
	if err != nil {
		return n, fmt.Errorf("writing %s to %s: %w", w.af.Describe(), w.f.Name(), err)
	}
	return n, nil
}

// WriteFloat32s appends float32 elements; the array must be Float32 (it
// panics otherwise: a programmer error).
func (w *ArrayWriter) WriteFloat32s(v []float32) error {
	if w.af.DType != Float32 {
		panic(fmt.Sprintf("ndarray: WriteFloat32s to a %s array", w.af.DType))
	}
	_, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v)))
	return err
}

// Close finishes the file and returns it as an ArrayFile. It is an error
// if fewer elements were written than the shape holds. Close does not
// fsync: whoever keeps the file (cache.AdoptBlob) does. Closing again
// changes nothing and returns an error, so a deferred Close can free the
// file of a stage that failed midway.
func (w *ArrayWriter) Close() (*ArrayFile, error) {
	if w.closed {
		return nil, fmt.Errorf("%s: already closed", w.af.Describe())
	}
	w.closed = true
	err := w.bw.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing %s to %s: %w", w.af.Describe(), w.f.Name(), err)
	}
	if w.written != w.af.payloadBytes() {
		return nil, fmt.Errorf("%s closed after %d of its %d bytes", w.af.Describe(), w.written, w.af.payloadBytes())
	}
	w.af.digest = w.h.Sum()
	return w.af, nil
}
