package runner

import (
	"context"
	"testing"
)

// Every 0-d output is cited with its value under a stable id, and a rerun
// served from the cache keeps the same ids and values.
func TestScalarOutputsAreCited(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	p := plan(t, chain)
	check := func() {
		t.Helper()
		cs, err := r.DB.Citations(context.Background(), "chain")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, c := range cs {
			got[c.ID] = c.Value
		}
		// src = v = 2; mid = 1·scale + src; leaf = rep + mid + src
		// (value and scale default to 1; cells list axes in matrix order).
		want := map[string]float64{
			"chain:src.scalar":                2,
			"chain:mid.scalar@scale=1":        1 + 2,
			"chain:mid.scalar@scale=2":        2 + 2,
			"chain:leaf.scalar@scale=2,rep=2": 2 + 4 + 2,
		}
		for id, v := range want {
			if g, ok := got[id]; !ok || g != v {
				t.Errorf("cited %s = %v (present %v), want %v", id, g, ok, v)
			}
		}
		if len(cs) != 9 {
			t.Errorf("%d cited numbers, want 9 (one scalar per stage instance): %v", len(cs), got)
		}
	}
	run(t, r, p, 2)
	check()
	run(t, r, p, 2)
	check()
}
