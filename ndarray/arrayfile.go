package ndarray

import (
	"fmt"
	"io"
	"os"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// ArrayFile is an array artifact whose values stay in a .npy file and are
// read only when asked for: the form in which arrays larger than memory
// (activations of 10k images × 800k features, DESIGN.md Numerics) pass
// between the cache and the stages. Its digest is that of the same values
// held in an Array, so a file-backed and an in-memory copy of one array
// are the same artifact.
//
// Stages that stream (the spectrum's views) read the payload block by
// block through OpenPayload; every other stage gets it loaded whole by
// Inputs.Array. The file must not change while the ArrayFile is in use:
// cache blobs and files from CreateArray never do.
type ArrayFile struct {
	Path       string
	DType      DType // Float32, Float64 or Int64
	Shape      []int
	DataOffset int64 // byte offset of the first element (the .npy header length)
	digest     Digest
}

// OpenArrayFile returns the .npy file at path as an ArrayFile after
// checking it: a header eigenlab writes (float32, float64 or int64 in C
// order), a payload of exactly the length the shape needs, and content
// whose digest is want. The check reads the file once, sequentially, in
// constant memory. A file that fails it gives an error naming the path and
// what is wrong (truncated, trailing bytes, other content), wrapping
// ErrCorrupt.
func OpenArrayFile(path string, want Digest) (*ArrayFile, error) {
	f, info, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := readNPYHeader(f, info.Size())
	if err == nil && h.typ.keep == "" {
		err = errInPlace(h)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrCorrupt, err)
	}
	af := &ArrayFile{Path: path, DType: h.typ.keep, Shape: h.shape, DataOffset: h.offset, digest: want}
	got, err := hashPayload(io.NewSectionReader(f, af.DataOffset, af.payloadBytes()), af.DType, af.Shape)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", path, af.Describe(), err)
	}
	if got != want {
		return nil, fmt.Errorf("%s: %w: %s content hashes to %s, want %s", path, ErrCorrupt, af.Describe(), got.Short(), want.Short())
	}
	return af, nil
}

// Digest is the canonical digest of the values, equal to that of the
// same values held in an Array.
func (f *ArrayFile) Digest() Digest { return f.digest }

// Describe is the short human form Array.Describe gives.
func (f *ArrayFile) Describe() string { return fmt.Sprintf("%s%v", f.DType, f.Shape) }

// Len is the number of elements.
func (f *ArrayFile) Len() int { return Numel(f.Shape) }

// itemSize is the size in bytes of one element.
func (f *ArrayFile) itemSize() int64 {
	if f.DType == Float32 {
		return 4
	}
	return 8
}

func (f *ArrayFile) payloadBytes() int64 { return int64(f.Len()) * f.itemSize() }

// Payload is the element bytes of an open ArrayFile: ReadAt(p, off) reads
// raw little-endian elements in C order from byte off of the first one.
// It is safe for concurrent ReadAt calls. Close it when done.
type Payload struct {
	*io.SectionReader
	file *os.File
}

// Close closes the file.
func (p *Payload) Close() error { return p.file.Close() }

// OpenPayload opens the file for reading its elements in place.
func (f *ArrayFile) OpenPayload() (*Payload, error) {
	file, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("array file %s: %w", f.Describe(), err)
	}
	return &Payload{io.NewSectionReader(file, f.DataOffset, f.payloadBytes()), file}, nil
}

// Load reads the whole array into memory and checks it against the
// digest (an error wrapping ErrCorrupt if it differs): the form for
// stages that need every value at once.
func (f *ArrayFile) Load() (*Array, error) {
	p, err := f.OpenPayload()
	if err != nil {
		return nil, err
	}
	defer p.Close()
	a := newArrayOf(f.DType, append([]int{}, f.Shape...))
	if _, err := p.ReadAt(a.Bytes(), 0); err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", f.Path, f.Describe(), err)
	}
	if got := a.Digest(); got != f.digest {
		return nil, fmt.Errorf("%s: %w: %s content hashes to %s, want %s", f.Path, ErrCorrupt, f.Describe(), got.Short(), f.digest.Short())
	}
	return a, nil
}

// CheckFinite returns the error Array.CheckFinite gives for the first NaN
// or Inf element, reading the file once in constant memory.
func (f *ArrayFile) CheckFinite() error {
	if f.DType == Int64 {
		return nil
	}
	p, err := f.OpenPayload()
	if err != nil {
		return err
	}
	defer p.Close()
	total, cols := f.Len(), 1
	if len(f.Shape) > 0 && f.Shape[0] > 0 {
		cols = total / f.Shape[0]
	}
	chunk := &Array{}
	step := hashChunk / int(f.itemSize())
	if f.DType == Float32 {
		chunk.F32 = make([]float32, step)
	} else {
		chunk.F64 = make([]float64, step)
	}
	for off := 0; off < total; off += step {
		k := min(step, total-off)
		part := &Array{Shape: []int{k}}
		if chunk.F32 != nil {
			part.F32 = chunk.F32[:k]
		} else {
			part.F64 = chunk.F64[:k]
		}
		if _, err := p.ReadAt(part.Bytes(), int64(off)*f.itemSize()); err != nil {
			return fmt.Errorf("%s: reading %s: %w", f.Path, f.Describe(), err)
		}
		for i := 0; i < k; i++ {
			if v := part.Value(i); v-v != 0 {
				return nonfinite(off+i, cols, v)
			}
		}
	}
	return nil
}

// hashChunk is the read size of the streaming hashers (4 MiB).
const hashChunk = 4 << 20

// hashPayload streams the payload of an array of the given dtype and shape
// from r into its canonical digest, requiring exactly the bytes the shape
// needs.
func hashPayload(r io.Reader, dtype DType, shape []int) (Digest, error) {
	h := NewArrayHasher(dtype, shape)
	size := int64(4)
	if dtype != Float32 {
		size = 8
	}
	want := int64(Numel(shape)) * size
	// A small payload gets a small buffer: verifying the cached outputs of
	// a no-op rerun must not clear a chunk-sized buffer per blob.
	n, err := io.CopyBuffer(h, io.LimitReader(r, want), make([]byte, min(hashChunk, max(want, 1))))
	if err != nil {
		return Digest{}, err
	}
	if n != want {
		return Digest{}, fmt.Errorf("payload of %s%v is truncated: %d of %d bytes", dtype, shape, n, want)
	}
	return h.Sum(), nil
}
