package results

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages"
)

func exportTo(t *testing.T, name string, arts map[string]stages.Artifact) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	return path, Export(path, arts)
}

func TestExportFormats(t *testing.T) {
	m := stages.NewF64(2, 3)
	for i := range m.F64 {
		m.F64[i] = float64(i) + 0.5
	}
	v := stages.Ints(4, 5)
	cube := stages.NewF32(2, 2, 2)

	path, err := exportTo(t, "m.npy", map[string]stages.Artifact{"m": m})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil {
		t.Error(err)
	} else if info.Mode().Perm() != 0o644 {
		t.Errorf("exported file has mode %v, want 0644 (a file for the user)", info.Mode().Perm())
	}
	got, err := stages.ReadNPYFile(path)
	if err != nil || got.Digest() != m.Digest() {
		t.Errorf(".npy round trip: %v", err)
	}

	path, err = exportTo(t, "m.csv", map[string]stages.Artifact{"m": m})
	if b, _ := os.ReadFile(path); err != nil || string(b) != "0.5,1.5,2.5\n3.5,4.5,5.5\n" {
		t.Errorf(".csv = %q, %v", b, err)
	}

	path, err = exportTo(t, "all.npz", map[string]stages.Artifact{"m": m, "v": v})
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range z.File {
		r, _ := zf.Open()
		a, err := stages.ReadNPY(r, int64(zf.UncompressedSize64))
		r.Close()
		want := map[string]*stages.Array{"m.npy": m, "v.npy": v}[zf.Name]
		if err != nil || want == nil || a.Digest() != want.Digest() {
			t.Errorf(".npz member %s: %v", zf.Name, err)
		}
	}
	z.Close()

	path, err = exportTo(t, "all.json", map[string]stages.Artifact{"v": v, "info": stages.Record{"k": "x"}})
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
		{"x.npy", map[string]stages.Artifact{"info": stages.Record{}}, `output "info"`},
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
	out, err := st.Run(context.Background(), nil, stages.Params{"arch": "convnet6", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 3})
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
	if _, err := exportTo(t, "both.npz", map[string]stages.Artifact{"model": model, "v": stages.Ints(1)}); err == nil || !strings.Contains(err.Error(), "exports alone") {
		t.Errorf("model with another output: %v", err)
	}
}
