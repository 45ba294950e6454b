package runner

import (
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/results"
)

// Action records describe their outputs (meta) exactly as the blobs'
// headers and values do, so recording a cached execution reads no blob;
// a record written before meta regains it on its next lookup, and the
// scalars read from meta equal those read from the blobs.
func TestActionRecordsDescribeOutputs(t *testing.T) {
	r := newRunner(t)
	p := plan(t, chain)
	cold := run(t, r, p, 2)
	described := func(stage string) {
		t.Helper()
		for _, n := range cold.nodes {
			e, err := r.Cache.GetAction(n.key)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range e.Outputs {
				want, ok := store{r.Cache}.blobMeta(o)
				if !ok || o.Meta != want {
					t.Errorf("%s: %s output %s: meta %q, its blob says %q", stage, n.label(), o.Name, o.Meta, want)
				}
			}
		}
	}
	described("cold run")
	for _, n := range cold.nodes {
		e, _ := r.Cache.GetAction(n.key)
		for i := range e.Outputs {
			e.Outputs[i].Meta = ""
		}
		if err := r.Cache.PutAction(n.key, e); err != nil {
			t.Fatal(err)
		}
	}
	again := run(t, r, p, 2)
	described("rerun of records without meta")
	first, second := cold.Scalars(), again.Scalars()
	if len(first) != len(second) || len(first) == 0 {
		t.Fatalf("%d and %d rows of scalars", len(first), len(second))
	}
	for i := range first {
		if first[i].Values["scalar"] != second[i].Values["scalar"] {
			t.Errorf("row %d: %+v cold, %+v from records without meta", i, first[i], second[i])
		}
	}
}

// parseMeta reads what formatMeta writes and refuses what it does not.
func TestParseMeta(t *testing.T) {
	for _, bad := range []string{"", "array", "array:float64", ":float64:3", "array:float64:3xa", "array:float64:-1",
		"array:float64:3:3ff0000000000000", "array:float64::zz", "a:b:c:d:e"} {
		if _, _, _, ok := parseMeta(bad, results.Edge{}); ok {
			t.Errorf("parseMeta(%q) accepted", bad)
		}
	}
	e, v, scalar, ok := parseMeta("array:float64::3ff8000000000000", results.Edge{})
	if !ok || !scalar || v != 1.5 || e.Kind != "array" || e.DType != "float64" || len(e.Shape) != 0 {
		t.Errorf("0-d array: %+v %v %v %v", e, v, scalar, ok)
	}
	e, _, scalar, ok = parseMeta("array:float32:64x0x3", results.Edge{})
	if !ok || scalar || !slices.Equal(e.Shape, []int{64, 0, 3}) || e.DType != "float32" {
		t.Errorf("3-d array: %+v %v %v", e, scalar, ok)
	}
}
