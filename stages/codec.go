package stages

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/eigenlab/eigenlab/ndarray"
)

// WriteArtifact encodes an artifact in its blob form: .npy for arrays,
// canonical JSON for records, .npz for models (see Model).
func WriteArtifact(w io.Writer, a Artifact) error {
	switch a := a.(type) {
	case *ndarray.Array:
		return ndarray.WriteNPY(w, a)
	case ndarray.Record:
		_, err := w.Write(a.Canonical())
		return err
	case *Model:
		return writeModel(w, a)
	case *ndarray.ArrayFile:
		return ndarray.WriteArrayFile(w, a)
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
	return ndarray.ReadNPY(br, size)
}

// readRecordOrModel decodes a record or model blob; ok is false when br
// holds neither (an array, or bytes for the .npy reader to refuse).
func readRecordOrModel(br *bufio.Reader) (a Artifact, ok bool, err error) {
	head, err := br.Peek(2)
	switch {
	case len(head) == 0:
		return nil, true, fmt.Errorf("empty artifact: %w", err)
	case head[0] == '{':
		var rec ndarray.Record
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
func AsArray(a Artifact) (*ndarray.Array, error) {
	switch a := a.(type) {
	case *ndarray.Array:
		return a, nil
	case *ndarray.ArrayFile:
		return a.Load()
	}
	return nil, ErrNotArray
}

// DigestArtifact returns the digest of the artifact a blob written by
// WriteArtifact holds. Arrays of the dtypes WriteNPY writes are hashed as
// they stream past, in constant memory whatever their size: exactly the
// payload their checked header claims, and nothing after it; records and
// models are decoded.
func DigestArtifact(r io.Reader) (ndarray.Digest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if a, ok, err := readRecordOrModel(br); ok {
		if err != nil {
			return ndarray.Digest{}, err
		}
		return a.Digest(), nil
	}
	return ndarray.DigestNPY(br)
}

// Header describes a stored artifact without decoding its values.
type Header struct {
	Kind  string        // "array", "record" or "model"
	DType ndarray.DType // "" for an array of a dtype that is widened when read
	Shape []int
}

// HeaderOf is the Header that PeekHeader reads from the blob WriteArtifact
// writes for a, without writing it.
func HeaderOf(a Artifact) Header {
	switch a := a.(type) {
	case *ndarray.Array:
		return Header{Kind: "array", DType: a.DType(), Shape: a.Shape}
	case *ndarray.ArrayFile:
		return Header{Kind: "array", DType: a.DType, Shape: a.Shape}
	case ndarray.Record:
		return Header{Kind: "record"}
	case *Model:
		return Header{Kind: "model"}
	default:
		panic(fmt.Sprintf("stages: unknown artifact type %T", a))
	}
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
	dtype, shape, err := ndarray.PeekNPY(br, size)
	if err != nil {
		return Header{}, err
	}
	return Header{Kind: "array", DType: dtype, Shape: shape}, nil
}
