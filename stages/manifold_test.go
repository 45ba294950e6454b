package stages

import (
	"context"
	"github.com/eigenlab/eigenlab/ndarray"
	"strings"
	"testing"
)

var manifoldDefaults = Params{"n_t": 30, "kappa": 0.0, "seed": 0, "max_points_per_manifold": 0}

// manifoldInput is 3 manifolds of 4 points in 6 dimensions, rows
// interleaved, labelled by labels[r%3].
func manifoldInput(labels [3]float64) Inputs {
	x := ndarray.NewF64(12, 6)
	l := ndarray.NewF64(12)
	for r := range 12 {
		for j := range 6 {
			x.F64[r*6+j] = float64((r*7+j*13)%11)/11 + float64(r%3*(j%3))
		}
		l.F64[r] = labels[r%3]
	}
	return Inputs{"x": x, "labels": l}
}

// Rows are grouped by label wherever they sit, manifold_labels lists the
// labels sorted, and the per-manifold outputs follow it: an
// order-preserving relabelling changes nothing else.
func TestManifoldStageGroupsByLabel(t *testing.T) {
	a, err := manifoldStage{}.Run(context.Background(), nil, manifoldInput([3]float64{0, 1, 2}), manifoldDefaults)
	if err != nil {
		t.Fatal(err)
	}
	b, err := manifoldStage{}.Run(context.Background(), nil, manifoldInput([3]float64{-2, 5, 40}), manifoldDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if got := b["manifold_labels"].(*ndarray.Array).I64; got[0] != -2 || got[1] != 5 || got[2] != 40 {
		t.Fatalf("manifold_labels = %v, want [-2 5 40]", got)
	}
	for _, out := range []string{"capacities", "radii", "dimensions", "capacity", "center_correlation"} {
		if a[out].Digest() != b[out].Digest() {
			t.Errorf("%s: %v with labels 0,1,2 and %v with -2,5,40", out, a[out].(*ndarray.Array).F64, b[out].(*ndarray.Array).F64)
		}
	}
	c, err := manifoldStage{}.Run(context.Background(), nil, manifoldInput([3]float64{9, 4, 5}), manifoldDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if got := c["manifold_labels"].(*ndarray.Array).I64; got[0] != 4 || got[1] != 5 || got[2] != 9 {
		t.Fatalf("manifold_labels = %v, want [4 5 9]", got)
	}
}

func TestManifoldStageRejectsBadLabels(t *testing.T) {
	for name, c := range map[string]struct {
		labels [3]float64
		want   string
	}{
		"fraction":        {[3]float64{0, 1.5, 2}, `input "labels"`},
		"single manifold": {[3]float64{1, 1, 1}, "want ≥ 2"},
	} {
		_, err := manifoldStage{}.Run(context.Background(), nil, manifoldInput(c.labels), manifoldDefaults)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}
