package runner

import (
	"context"
	"fmt"
	"math"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// Mismatch is an output whose recomputation did not reproduce its digest.
type Mismatch struct {
	Output     string
	Want, Got  cache.Digest
	MaxRelDiff float64 // largest relative element difference, for arrays
}

// Recompute re-executes a recorded stage execution from its recorded
// inputs and parameters (the inputs must still be in the cache) and
// compares every output with the recorded digest. Stages are
// deterministic, so any difference is reported; MaxRelDiff tells a
// rounding-level drift (another BLAS) from a real change.
func (r *Runner) Recompute(ctx context.Context, e *results.Execution) ([]Mismatch, error) {
	st, ok := stages.Lookup(e.Kind)
	if !ok {
		return nil, fmt.Errorf("stage kind %q is not in this build of eigenlab", e.Kind)
	}
	if st.Version() != e.Version {
		return nil, fmt.Errorf("stage %s is version %s in this build but the result was made by version %s: it cannot be reproduced exactly", e.Kind, st.Version(), e.Version)
	}
	params := stages.Params{}
	for name, text := range e.Params {
		spec, ok := stages.Spec(st, name)
		if !ok {
			return nil, fmt.Errorf("recorded param %q is unknown to stage %s", name, e.Kind)
		}
		v, err := spec.ParseValue(text)
		if err != nil {
			return nil, err
		}
		params[name] = v
	}
	sto := store{r.Cache}
	in := stages.Inputs{}
	for _, edge := range e.Inputs {
		a, err := sto.load(edge.Digest)
		if err != nil {
			return nil, fmt.Errorf("input %q (%s) is no longer in the cache; rerun the experiment first: %w", edge.Name, edge.Digest.Short(), err)
		}
		in[edge.Name] = a
	}
	outs, _, err := Local{}.Execute(ctx, Job{st, in, params})
	if err != nil {
		return nil, err
	}
	var bad []Mismatch
	for _, edge := range e.Outputs {
		got, ok := outs[edge.Name]
		if !ok {
			return nil, fmt.Errorf("recomputation did not produce output %q", edge.Name)
		}
		if d := got.Digest(); d != edge.Digest {
			m := Mismatch{Output: edge.Name, Want: edge.Digest, Got: d}
			if want, err := sto.load(edge.Digest); err == nil {
				m.MaxRelDiff = maxRelDiff(want, got)
			}
			bad = append(bad, m)
		}
	}
	return bad, nil
}

// maxRelDiff compares two arrays of equal shape element by element; it
// returns +Inf when they are not comparable.
func maxRelDiff(a, b stages.Artifact) float64 {
	x, ok1 := a.(*stages.Array)
	y, ok2 := b.(*stages.Array)
	if !ok1 || !ok2 || x.Len() != y.Len() {
		return math.Inf(1)
	}
	worst := 0.0
	for i := 0; i < x.Len(); i++ {
		u, v := x.Value(i), y.Value(i)
		d := math.Abs(u - v)
		if s := max(math.Abs(u), math.Abs(v)); s > 0 {
			d /= s
		}
		worst = max(worst, d)
	}
	return worst
}
