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
	hdr.WriteString(npyMagic)
	hdr.Write([]byte{1, 0})
	binary.Write(&hdr, binary.LittleEndian, uint16(len(dict)+pad+1))
	hdr.WriteString(dict)
	hdr.Write(bytes.Repeat([]byte{' '}, pad))
	hdr.WriteByte('\n')
	return hdr.Bytes()
}

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

// ReadArtifact decodes a blob written by WriteArtifact; size is the
// blob's length, against which an array's header is checked before
// anything is allocated (ReadNPY).
func ReadArtifact(r io.Reader, size int64) (Artifact, error) {
	br := bufio.NewReaderSize(r, int(min(max(size, 16), 1<<16))) // no 64 KiB for a 136-byte blob
	if a, ok, err := readRecordOrModel(br); ok {
		return a, err
	}
	return ReadNPY(br, size)
}

// readRecordOrModel decodes a record or model blob; ok is false when br
// holds neither (an array, or bytes for the .npy reader to refuse).
func readRecordOrModel(br *bufio.Reader) (a Artifact, ok bool, err error) {
	head, err := br.Peek(2)
	switch {
	case len(head) == 0:
		return nil, true, fmt.Errorf("empty artifact: %w", err)
	case head[0] == '{':
		var rec Record
		if err := json.NewDecoder(br).Decode(&rec); err != nil {
			return nil, true, fmt.Errorf("record is not valid JSON: %w", err)
		}
		return rec, true, nil
	case string(head) == "PK":
		m, err := readModel(br)
		return m, true, err
	}
	return nil, false, nil
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
// they stream past, in constant memory whatever their size: exactly the
// payload their checked header claims, and nothing after it; records and
// models are decoded.
func DigestArtifact(r io.Reader) (cache.Digest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if a, ok, err := readRecordOrModel(br); ok {
		if err != nil {
			return cache.Digest{}, err
		}
		return a.Digest(), nil
	}
	h, err := readNPYHeader(br, unknownSize)
	if err != nil {
		return cache.Digest{}, err
	}
	if h.typ.keep == "" {
		return cache.Digest{}, errInPlace(h)
	}
	d, err := hashPayload(br, h.typ.keep, h.shape)
	if err != nil {
		return cache.Digest{}, err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return cache.Digest{}, fmt.Errorf(".npy %s: trailing bytes after its %d-byte payload", h, h.payload)
	}
	return d, nil
}

// Header describes a stored artifact without decoding its values.
type Header struct {
	Kind  string // "array", "record" or "model"
	DType DType  // "" for an array of a dtype that is widened when read
	Shape []int
}

// PeekHeader reads only the start of a blob written by WriteArtifact, of
// size bytes; an array's header is checked against size (readNPYHeader).
func PeekHeader(r io.Reader, size int64) (Header, error) {
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
	h, err := readNPYHeader(br, size)
	if err != nil {
		return Header{}, err
	}
	return Header{Kind: "array", DType: h.typ.keep, Shape: h.shape}, nil
}

// errInPlace refuses a dtype that can only be read widened where the
// values must be used as stored.
func errInPlace(h npyHead) error {
	return fmt.Errorf(".npy dtype %q cannot be read in place (want float32, float64 or int64)", h.descr)
}
