package stages

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// TestModelBlobBadWeight: a model blob whose weight entry is a .npy with a
// truncated payload is refused by the model decoder with an error naming
// the entry and the shape the header claims.
func TestModelBlobBadWeight(t *testing.T) {
	var npy bytes.Buffer
	ndarray.WriteNPY(&npy, ndarray.NewF32(4, 4))
	var model bytes.Buffer
	WriteArtifact(&model, tinyModel())
	blob := addZipEntry(t, model.Bytes(), "w.npy", npy.Bytes()[:npy.Len()-8])
	_, err := ReadArtifact(bytes.NewReader(blob), int64(len(blob)))
	if err == nil || !strings.Contains(err.Error(), `model entry "w.npy"`) || !strings.Contains(err.Error(), "<f4 (4, 4) needs 64 bytes") {
		t.Errorf("got %v; want the truncated weight refused by name", err)
	}
}

// FuzzNPZ: no archive makes the npz reader or the model decoder panic or
// allocate from a size the archive cannot hold. The seed corpus
// (testdata/fuzz/FuzzNPZ) is the hostile headers of ndarray's tests, each as the entry x.npy of an
// archive, and a model blob.
func FuzzNPZ(f *testing.F) {
	var model bytes.Buffer
	WriteArtifact(&model, tinyModel())
	f.Add(model.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ndarray.ReadNPZ(bytes.NewReader(data), int64(len(data)), "x.npz", "x")
		ReadArtifact(bytes.NewReader(data), int64(len(data)))
		DigestArtifact(bytes.NewReader(data))
	})
}

// addZipEntry returns the archive blob with one more stored entry.
func addZipEntry(t *testing.T, blob []byte, name string, data []byte) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range r.File {
		if err := z.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	w.Write(data)
	z.Close()
	return buf.Bytes()
}

// TestHeaderOf: the header of an artifact in memory is the one PeekHeader
// reads from its blob, for every kind and dtype (the runner records it in
// action records instead of reading blobs back).
func TestHeaderOf(t *testing.T) {
	i64 := &ndarray.Array{Shape: []int{2}, I64: []int64{1, 2}}
	cases := map[string]Artifact{
		"float64 matrix": ndarray.NewF64(3, 4),
		"float32 vector": ndarray.NewF32(5),
		"int64":          i64,
		"0-d":            ndarray.Scalar(2.5),
		"empty":          ndarray.NewF64(0, 3),
		"record":         ndarray.Record{"alpha": 1.0},
		"model":          tinyModel(),
	}
	for name, a := range cases {
		var buf bytes.Buffer
		if err := WriteArtifact(&buf, a); err != nil {
			t.Fatal(err)
		}
		want, err := PeekHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		got := HeaderOf(a)
		if got.Kind != want.Kind || got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) {
			t.Errorf("%s: HeaderOf = %+v, PeekHeader of its blob = %+v", name, got, want)
		}
	}
}
