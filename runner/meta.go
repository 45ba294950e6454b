package runner

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// outputMeta describes an output for its action record (cache.Output.Meta),
// so that recording an execution served from the cache reads no blob.
func outputMeta(a stages.Artifact) string {
	var value *float64
	if x, ok := a.(*ndarray.Array); ok && len(x.Shape) == 0 {
		v := x.Value(0)
		value = &v
	}
	return formatMeta(stages.HeaderOf(a), value)
}

// formatMeta is "<kind>:<dtype>:<shape>", the shape's dimensions joined by
// "x" ("" for a 0-d array, a record or a model), and for a 0-d array
// ":<the IEEE-754 bits of its value in hex>", exactly the value reports cite.
func formatMeta(h stages.Header, value *float64) string {
	dims := make([]string, len(h.Shape))
	for i, n := range h.Shape {
		dims[i] = strconv.Itoa(n)
	}
	meta := h.Kind + ":" + string(h.DType) + ":" + strings.Join(dims, "x")
	if value != nil {
		meta += ":" + strconv.FormatUint(math.Float64bits(*value), 16)
	}
	return meta
}

// blobMeta is outputMeta read from the blob of o (its header, and the
// value of a 0-d array, checked against its digest), for an action record
// written before records kept meta.
func (s store) blobMeta(o cache.Output) (string, bool) {
	f, err := s.c.OpenBlob(o.Digest)
	if err != nil {
		return "", false
	}
	defer f.Close()
	head := make([]byte, min(o.Size, headBytes))
	if _, err := io.ReadFull(f, head); err != nil {
		return "", false
	}
	h, err := stages.PeekHeader(bytes.NewReader(head), o.Size)
	if err != nil {
		return "", false
	}
	if h.Kind != "array" || len(h.Shape) != 0 {
		return formatMeta(h, nil), true
	}
	if o.Size > headBytes {
		return "", false
	}
	v, ok := scalarOf(o.Digest, head)
	return formatMeta(h, &v), ok
}

// headBytes is how much of a blob blobMeta reads: every header WriteNPY
// writes, and a whole 0-d array (136 bytes), fit.
const headBytes = 4096

// scalarOf decodes the whole blob b of a 0-d array and checks its digest.
func scalarOf(d ndarray.Digest, b []byte) (float64, bool) {
	a, err := stages.ReadArtifact(bytes.NewReader(b), int64(len(b)))
	if err != nil || a.Digest() != d {
		return 0, false
	}
	if x, ok := a.(*ndarray.Array); ok && len(x.Shape) == 0 {
		return x.Value(0), true
	}
	return 0, false
}

// parseMeta reads an outputMeta into the provenance row of an output and,
// for a 0-d array, its value; ok is false for a meta it cannot read.
func parseMeta(meta string, e results.Edge) (edge results.Edge, value float64, scalar, ok bool) {
	f := strings.Split(meta, ":")
	if len(f) < 3 || len(f) > 4 || f[0] == "" {
		return e, 0, false, false
	}
	e.Kind, e.DType, e.Shape = f[0], f[1], nil
	if f[2] != "" {
		for _, d := range strings.Split(f[2], "x") {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 {
				return e, 0, false, false
			}
			e.Shape = append(e.Shape, n)
		}
	}
	if len(f) == 3 {
		return e, 0, false, true
	}
	bits, err := strconv.ParseUint(f[3], 16, 64)
	if err != nil || e.Kind != "array" || len(e.Shape) != 0 {
		return e, 0, false, false
	}
	return e, math.Float64frombits(bits), true, true
}
