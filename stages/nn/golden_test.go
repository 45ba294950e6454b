package nn_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/nn"
)

// goldenCase is one entry of testdata/cases.json (make_goldens.py).
type goldenCase struct {
	Name string  `json:"name"`
	Arch nn.Arch `json:"arch"`
}

// readNPZ loads every array of a .npz by name.
func readNPZ(t *testing.T, path string) map[string]*ndarray.Array {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	out := map[string]*ndarray.Array{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		a, err := ndarray.ReadNPY(r, int64(f.UncompressedSize64))
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[strings.TrimSuffix(f.Name, ".npy")] = a
	}
	return out
}

// runAll runs images x (N×C×H×W) through net and returns the named layer
// for all images, as float64.
func runAll(t testing.TB, net *nn.Net, x *ndarray.Array, layer string, batch int) []float64 {
	t.Helper()
	size := x.Len() / x.Shape[0]
	vals := x.Float64s()
	var out []float64
	err := net.Extract(context.Background(), x.Shape[0], func(i int, dst []float64) {
		copy(dst, vals[i*size:(i+1)*size])
	}, []string{layer}, batch, func(b nn.Batch) error {
		for _, v := range b.Acts[0] {
			out = append(out, float64(v))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOpsMatchNumpy runs every op, and a DAG using all of them, against
// the scipy/numpy reference of testdata/make_goldens.py.
func TestOpsMatchNumpy(t *testing.T) {
	raw, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	arrays := readNPZ(t, "testdata/goldens.npz")
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			x, want := arrays[c.Name+":x"], arrays[c.Name+":y"]
			ws := map[string]nn.Tensor{}
			for k, a := range arrays {
				if name, ok := strings.CutPrefix(k, c.Name+":"); ok && name != "x" && name != "y" {
					ws[name] = nn.Tensor{Shape: a.Shape, Data: a.Float64s()}
				}
			}
			net, err := nn.Compile(&c.Arch, ws, x.Shape[2], x.Shape[3])
			if err != nil {
				t.Fatal(err)
			}
			last := c.Arch.Nodes[len(c.Arch.Nodes)-1].Name
			shape, _ := net.Shape(last)
			if got := append([]int{x.Shape[0]}, shape...); !equalInts(got, want.Shape) {
				t.Fatalf("output shape %v, reference %v", got, want.Shape)
			}
			golden.CloseRel(t, c.Name, runAll(t, net, x, last, 1), want.Float64s(), 1e-6)
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
