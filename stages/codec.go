package stages

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/eigenlab/eigenlab/cache"
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
	hdr.Write(npy.Magic[:])
	hdr.Write([]byte{1, 0})
	binary.Write(&hdr, binary.LittleEndian, uint16(len(dict)+pad+1))
	hdr.WriteString(dict)
	hdr.Write(bytes.Repeat([]byte{' '}, pad))
	hdr.WriteByte('\n')
	return hdr.Bytes()
}

// ReadNPY reads one .npy array: npyio parses the header, the payload is
// read with one io.ReadFull so a short read is an error, never silent
// corruption. Float32, float64 and int64 are kept; other integer and bool
// types are widened to int64, float16 is refused.
func ReadNPY(r io.Reader) (*Array, error) {
	rd, err := npy.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a valid .npy file: %w", err)
	}
	h := rd.Header.Descr
	if h.Fortran {
		return nil, fmt.Errorf(".npy is in Fortran order; save it in C order (numpy.ascontiguousarray)")
	}
	shape := append([]int{}, h.Shape...)
	a := &Array{Shape: shape}
	n := a.Len()
	descr := strings.Trim(h.Type, `'"`)
	switch descr {
	case "<f4", "|f4":
		a.F32 = make([]float32, n)
	case "<f8", "|f8":
		a.F64 = make([]float64, n)
	case "<i8", "|i8":
		a.I64 = make([]int64, n)
	default:
		return readWidened(rd, a, descr)
	}
	if _, err := io.ReadFull(r, a.Bytes()); err != nil {
		return nil, fmt.Errorf(".npy payload of %s%v is truncated: %w", a.DType(), shape, err)
	}
	return a, nil
}

// readWidened reads the small integer and bool dtypes through npyio and
// widens them to int64.
func readWidened(rd *npy.Reader, a *Array, descr string) (*Array, error) {
	var vals []int64
	switch descr {
	case "<i4", "<i2", "|i1", "|u1", "<u2", "<u4", "|b1":
	default:
		return nil, fmt.Errorf(".npy dtype %q is not supported (want float32, float64 or an integer type)", descr)
	}
	if err := rd.Read(&vals); err != nil {
		return nil, fmt.Errorf(".npy payload of %s%v: %w", descr, a.Shape, err)
	}
	if len(vals) != a.Len() {
		return nil, fmt.Errorf(".npy payload of %s%v is truncated", descr, a.Shape)
	}
	a.I64 = vals
	return a, nil
}

var recordMagic = []byte("{")

// WriteArtifact encodes an artifact in its blob form: .npy for arrays,
// canonical JSON for records, .npz for models (see Model).
func WriteArtifact(w io.Writer, a Artifact) error {
	switch a := a.(type) {
	case *Array:
		return WriteNPY(w, a)
	case Record:
		_, err := w.Write(a.Canonical())
		return err
	case *Model:
		return writeModel(w, a)
	case *ArrayFile:
		return writeArrayFile(w, a)
	default:
		panic(fmt.Sprintf("stages: unknown artifact type %T", a))
	}
}

// ReadArtifact decodes a blob written by WriteArtifact.
func ReadArtifact(r io.Reader) (Artifact, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(1)
	if err != nil {
		return nil, fmt.Errorf("empty artifact: %w", err)
	}
	if bytes.Equal(head, recordMagic) {
		var rec Record
		dec := json.NewDecoder(br)
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("record is not valid JSON: %w", err)
		}
		return rec, nil
	}
	if head, _ := br.Peek(2); string(head) == "PK" {
		return readModel(br)
	}
	return ReadNPY(br)
}

// ErrNotArray is returned when an input that must be an array is a record.
var ErrNotArray = errors.New("artifact is a record, not an array")

// AsArray returns the artifact as an array or ErrNotArray. An ArrayFile
// is loaded into memory (ArrayFile.Load, digest checked).
func AsArray(a Artifact) (*Array, error) {
	switch a := a.(type) {
	case *Array:
		return a, nil
	case *ArrayFile:
		return a.Load()
	}
	return nil, ErrNotArray
}

// writeArrayFile writes an ArrayFile in blob form: a fresh header (the one
// WriteNPY writes) and the payload copied from the file.
func writeArrayFile(w io.Writer, f *ArrayFile) error {
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

// DigestArtifact returns the digest of the artifact a blob written by
// WriteArtifact holds. Arrays of the dtypes WriteNPY writes are hashed as
// they stream past, in constant memory whatever their size; records and
// models are decoded.
func DigestArtifact(r io.Reader) (cache.Digest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(6)
	if err != nil || !bytes.Equal(head, npy.Magic[:]) {
		a, err := ReadArtifact(br)
		if err != nil {
			return cache.Digest{}, err
		}
		return a.Digest(), nil
	}
	dtype, shape, _, err := readNPYHeader(br)
	if err != nil {
		return cache.Digest{}, err
	}
	return hashPayload(br, dtype, shape)
}

// Header describes a stored artifact without decoding its values.
type Header struct {
	Kind  string // "array", "record" or "model"
	DType DType
	Shape []int
}

// PeekHeader reads only the start of a blob written by WriteArtifact.
func PeekHeader(r io.Reader) (Header, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(2)
	if err != nil {
		return Header{}, fmt.Errorf("empty artifact: %w", err)
	}
	switch {
	case head[0] == '{':
		return Header{Kind: "record"}, nil
	case string(head) == "PK":
		return Header{Kind: "model"}, nil
	}
	rd, err := npy.NewReader(br)
	if err != nil {
		return Header{}, fmt.Errorf("not a valid .npy file: %w", err)
	}
	h := Header{Kind: "array", Shape: rd.Header.Descr.Shape}
	for dt, descr := range npyDescr {
		if descr == strings.Trim(rd.Header.Descr.Type, `'"`) {
			h.DType = dt
		}
	}
	return h, nil
}
