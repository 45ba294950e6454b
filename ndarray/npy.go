package ndarray

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// npyDescr maps eigenlab dtypes to numpy's little-endian descr strings.
var npyDescr = map[DType]string{Float32: "<f4", Float64: "<f8", Int64: "<i8"}

// WriteNPY writes a as a version-1 .npy file. The header is written here
// because npyio's writer can only give a flat slice a 1-d shape and copies
// element by element (300× slower than one bulk write; NUMERICS.md).
func WriteNPY(w io.Writer, a *Array) error {
	if _, err := w.Write(npyHeader(a.DType(), a.Shape)); err != nil {
		return err
	}
	_, err := w.Write(a.Bytes())
	return err
}

// npyHeader is the version-1 .npy header of an array of the given dtype
// and shape: the same bytes whoever writes the payload (WriteNPY or an
// ArrayWriter), so a blob's bytes do not depend on how it was produced.
func npyHeader(dtype DType, shape []int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		tuple += ","
	}
	tuple += ")"
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", npyDescr[dtype], tuple)
	// Magic(6) + version(2) + length(2) + dict + padding + '\n' is a multiple of 64.
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	var hdr bytes.Buffer
	hdr.WriteString(npyMagic)
	hdr.Write([]byte{1, 0})
	binary.Write(&hdr, binary.LittleEndian, uint16(len(dict)+pad+1))
	hdr.WriteString(dict)
	hdr.Write(bytes.Repeat([]byte{' '}, pad))
	hdr.WriteByte('\n')
	return hdr.Bytes()
}

// WriteArrayFile writes an ArrayFile in blob form: a fresh header (the one
// WriteNPY writes) and the payload copied from the file.
func WriteArrayFile(w io.Writer, f *ArrayFile) error {
	p, err := f.OpenPayload()
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := w.Write(npyHeader(f.DType, f.Shape)); err != nil {
		return err
	}
	_, err = io.CopyBuffer(w, p, make([]byte, hashChunk))
	return err
}

// DigestNPY returns the canonical digest of the array a .npy stream holds,
// hashing it as it streams past, in constant memory whatever its size:
// exactly the payload its checked header claims (a dtype WriteNPY writes),
// and nothing after it.
func DigestNPY(r io.Reader) (Digest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	h, err := readNPYHeader(br, unknownSize)
	if err != nil {
		return Digest{}, err
	}
	if h.typ.keep == "" {
		return Digest{}, errInPlace(h)
	}
	d, err := hashPayload(br, h.typ.keep, h.shape)
	if err != nil {
		return Digest{}, err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return Digest{}, fmt.Errorf(".npy %s: trailing bytes after its %d-byte payload", h, h.payload)
	}
	return d, nil
}

// PeekNPY reads and checks only the header of a .npy stream of size bytes
// (readNPYHeader) and returns its dtype ("" for a dtype that is widened
// when read) and shape.
func PeekNPY(r io.Reader, size int64) (DType, []int, error) {
	h, err := readNPYHeader(r, size)
	if err != nil {
		return "", nil, err
	}
	return h.typ.keep, h.shape, nil
}

// errInPlace refuses a dtype that can only be read widened where the
// values must be used as stored.
func errInPlace(h npyHead) error {
	return fmt.Errorf(".npy dtype %q cannot be read in place (want float32, float64 or int64)", h.descr)
}
