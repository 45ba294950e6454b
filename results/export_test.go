package results

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

func exportTo(t *testing.T, name string, arts map[string]stages.Artifact) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	return path, Export(path, arts, false)
}

func TestExportFormats(t *testing.T) {
	m := ndarray.NewF64(2, 3)
	for i := range m.F64 {
		m.F64[i] = float64(i) + 0.5
	}
	v := ndarray.Ints(4, 5)
	cube := ndarray.NewF32(2, 2, 2)

	path, err := exportTo(t, "m.npy", map[string]stages.Artifact{"m": m})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o644 {
		t.Errorf("exported file has mode %v, want 0644 (a file for the user)", info.Mode().Perm())
	}
	got, err := ndarray.ReadNPYFile(path)
	if err != nil || got.Digest() != m.Digest() {
		t.Errorf(".npy round trip: %v", err)
	}

	path, err = exportTo(t, "m.csv", map[string]stages.Artifact{"m": m})
	if b, _ := os.ReadFile(path); err != nil || string(b) != "0.5,1.5,2.5\n3.5,4.5,5.5\n" {
		t.Errorf(".csv = %q, %v", b, err)
	}

	path, err = exportTo(t, "all.json", map[string]stages.Artifact{"v": v, "info": ndarray.Record{"k": "x"}})
	var doc map[string]map[string]any
	if b, _ := os.ReadFile(path); err != nil || json.Unmarshal(b, &doc) != nil || doc["info"]["k"] != "x" || doc["v"]["dtype"] != "int64" {
		t.Errorf(".json = %v, %v", doc, err)
	}

	for _, c := range []struct {
		file string
		arts map[string]stages.Artifact
		want string
	}{
		{"x.npy", map[string]stages.Artifact{"m": m, "v": v}, "this format holds one array and the reference names 2 (m, v)"},
		{"x.csv", map[string]stages.Artifact{"c": cube}, "csv holds at most 2 dimensions"},
		{"x.npy", map[string]stages.Artifact{"info": ndarray.Record{}}, `output "info"`},
		{"x.txt", map[string]stages.Artifact{"m": m}, `unknown format ".txt"`},
	} {
		path, err := exportTo(t, c.file, c.arts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.file, err, c.want)
		}
		if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 0 {
			t.Errorf("%s: a failed export left %v", c.file, left)
		}
	}
}

// A model exports as its own .npz, which reads back as the same model.
func TestExportModel(t *testing.T) {
	st, _ := stages.Lookup("powerlaw_init")
	out, err := st.Run(context.Background(), nil, nil, stages.Params{"arch": "convnet6", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 3})
	if err != nil {
		t.Fatal(err)
	}
	model := out["model"]
	path, err := exportTo(t, "net.npz", map[string]stages.Artifact{"model": model})
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := os.ReadFile(path)
	back, err := stages.ReadArtifact(bytes.NewReader(blob), int64(len(blob)))
	if err != nil || back.Digest() != model.Digest() {
		t.Errorf("model .npz round trip: %v", err)
	}
	if _, err := exportTo(t, "both.npz", map[string]stages.Artifact{"model": model, "v": ndarray.Ints(1)}); err == nil || !strings.Contains(err.Error(), "exports alone") {
		t.Errorf("model with another output: %v", err)
	}
}

// A whole stage exports to one .npz that numpy.load reads: every array
// output as NAME.npy (a standard .npy, file-backed arrays included) and
// every record output as NAME.json. Read back here with npyio's npz
// reader, which parses each member's .npy header as numpy does.
func TestExportWholeStageNPZ(t *testing.T) {
	m := ndarray.NewF64(2, 3)
	for i := range m.F64 {
		m.F64[i] = float64(i) + 0.5
	}
	v := ndarray.Ints(4, 5, 6)
	onDisk := ndarray.NewF32(2, 2)
	copy(onDisk.F32, []float32{1, 2, 3, 4})
	info := ndarray.Record{"estimator": "stringer", "n_points": 7.0}
	path, err := exportTo(t, "spec.npz", map[string]stages.Artifact{
		"m": m, "v": v, "w": arrayFile(t, onDisk), "info": info})
	if err != nil {
		t.Fatal(err)
	}
	z, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if keys := z.Keys(); !slices.Equal(keys, []string{"info.json", "m.npy", "v.npy", "w.npy"}) {
		t.Errorf(".npz members %v, want info.json m.npy v.npy w.npy", keys)
	}
	for _, c := range []struct {
		member string
		want   *ndarray.Array
	}{{"m.npy", m}, {"v.npy", v}, {"w.npy", onDisk}} {
		if got := readMember(t, z, c.member); got == nil || got.Digest() != c.want.Digest() {
			t.Errorf("%s reads back as %v, want %v", c.member, got, c.want)
		}
	}
	r, err := z.Open("info.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var back ndarray.Record
	if err := json.NewDecoder(r).Decode(&back); err != nil || back.Digest() != info.Digest() {
		t.Errorf("info.json = %v (%v), want %v", back, err, info)
	}
}

// readMember reads one .npy member of an .npz through npyio's header
// parser, into the Go type of its dtype.
func readMember(t *testing.T, z *npz.Reader, name string) *ndarray.Array {
	t.Helper()
	h := z.Header(name)
	if h == nil {
		t.Errorf("%s: no .npy header", name)
		return nil
	}
	a := &ndarray.Array{Shape: h.Descr.Shape}
	var err error
	switch strings.Trim(h.Descr.Type, `'"`) {
	case "<f8":
		err = z.Read(name, &a.F64)
	case "<f4":
		err = z.Read(name, &a.F32)
	case "<i8":
		err = z.Read(name, &a.I64)
	default:
		t.Errorf("%s: dtype %q", name, h.Descr.Type)
		return nil
	}
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	return a
}

// arrayFile returns a as a file-backed array, as a cached blob is loaded.
func arrayFile(t *testing.T, a *ndarray.Array) *ndarray.ArrayFile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ndarray.WriteNPY(f, a); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	af, err := ndarray.OpenArrayFile(path, a.Digest())
	if err != nil {
		t.Fatal(err)
	}
	return af
}

// Export leaves an existing file alone unless told to replace it.
func TestExportRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.npy")
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	v := map[string]stages.Artifact{"v": ndarray.Ints(1, 2)}
	if err := Export(path, v, false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("export over an existing file: %v, want an error wrapping fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Errorf("a refused export changed the file to %q", b)
	}
	if err := Export(path, v, true); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 || info.Size() == 4 {
		t.Errorf("replaced file: %v, %v; want the new array, mode 0644", info, err)
	}
}
