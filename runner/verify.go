package runner

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// Check is the outcome of recomputing one recorded output.
type Check struct {
	Output    string
	Want, Got ndarray.Digest
	// MaxRelDiff is the largest element difference relative to the larger
	// magnitude of the two elements: 0 when the digests agree, +Inf when
	// the outputs are not comparable arrays (other shape, a record).
	MaxRelDiff float64
	// Recorded and Recomputed are the values of a 0-d output (a cited
	// number); NaN for other outputs.
	Recorded, Recomputed float64
}

// Exact reports whether the output was reproduced bit for bit.
func (c Check) Exact() bool { return c.Want == c.Got }

// Within reports whether the output was reproduced exactly or with every
// element within relative tolerance rtol.
func (c Check) Within(rtol float64) bool { return c.Exact() || c.MaxRelDiff <= rtol }

// RecreateHint says why a recorded output may be gone from the cache and
// how to bring it back, for messages about a missing blob.
const RecreateHint = "evicted by gc, or the output of a stage marked temp: true; `eigenlab run EXP --force STAGE --keep-temp` recomputes it and keeps it"

// Recompute re-executes a recorded stage execution from its recorded
// inputs and parameters (the inputs must still be in the cache) and
// compares every output with the recorded one, in output name order.
// Stages are deterministic, so on the same machine and build every output
// is exact; MaxRelDiff tells a rounding-level drift (another BLAS, another
// CPU) from a real change.
func (r *Runner) Recompute(ctx context.Context, e *results.Execution) ([]Check, error) {
	st, params, err := rebuild(e.Kind, e.Params)
	if err != nil {
		return nil, err
	}
	if err := sameAction(st, params, e); err != nil {
		return nil, err
	}
	sto := store{r.Cache}
	in := stages.Inputs{}
	for _, edge := range e.Inputs {
		a, err := sto.input(edge.Digest, cmp.Or(r.StreamAbove, DefaultStreamAbove))
		if err != nil {
			return nil, fmt.Errorf("input %q (%s) is no longer in the cache (%s): %w", edge.Name, edge.Digest.Short(), RecreateHint, err)
		}
		in[edge.Name] = a
	}
	scratch := ndarray.NewScratch(r.Cache.TempDir())
	defer scratch.RemoveAll() // the recomputed outputs are compared, never kept
	outs, _, err := Local{}.Execute(ctx, Job{Stage: st, Inputs: in, Params: params, Scratch: scratch, Label: e.Label()})
	if err != nil {
		return nil, err
	}
	checks := make([]Check, 0, len(e.Outputs))
	for _, edge := range e.Outputs {
		got, ok := outs[edge.Name]
		if !ok {
			return nil, fmt.Errorf("recomputation did not produce output %q", edge.Name)
		}
		c := Check{Output: edge.Name, Want: edge.Digest, Got: got.Digest(),
			Recorded: math.NaN(), Recomputed: scalarValue(got)}
		want, err := sto.load(edge.Digest)
		if err == nil {
			c.Recorded = scalarValue(want)
		}
		if !c.Exact() {
			c.MaxRelDiff = math.Inf(1)
			if err == nil {
				c.MaxRelDiff = maxRelDiff(want, got)
			}
		}
		checks = append(checks, c)
	}
	return checks, nil
}

// sameAction checks that this build would give e's recorded params and
// inputs the action key e was recorded under: another stage version or an
// edited file param would compute something else, so the result cannot be
// reproduced, and the error says which key lines changed.
func sameAction(st stages.Stage, params stages.Params, e *results.Execution) error {
	in := make(map[string]ndarray.Digest, len(e.Inputs))
	for _, edge := range e.Inputs {
		in[edge.Name] = edge.Digest
	}
	key, text, err := action.Key(st, params, in)
	if err != nil {
		return fmt.Errorf("%s cannot be reproduced: %w", e.Label(), err)
	}
	if why := action.Reasons(e.ActionKey, e.KeyText, key, text); why != nil {
		return fmt.Errorf("%s cannot be reproduced exactly: this build gives it another action key (%s)",
			e.Label(), strings.Join(why, "; "))
	}
	return nil
}

// scalarValue is the value of a 0-d array, NaN for anything else.
func scalarValue(a stages.Artifact) float64 {
	if x, ok := a.(*ndarray.Array); ok && len(x.Shape) == 0 {
		return x.Value(0)
	}
	return math.NaN()
}

// maxRelDiff compares two arrays of equal shape element by element (an
// ArrayFile is loaded); it returns +Inf when they are not comparable.
func maxRelDiff(a, b stages.Artifact) float64 {
	x, err1 := stages.AsArray(a)
	y, err2 := stages.AsArray(b)
	if err1 != nil || err2 != nil || !slices.Equal(x.Shape, y.Shape) {
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

// rebuild looks up a recorded stage kind and parses its recorded params.
func rebuild(kind string, text map[string]string) (stages.Stage, stages.Params, error) {
	st, ok := stages.Lookup(kind)
	if !ok {
		return nil, nil, fmt.Errorf("stage kind %q is not in this build of eigenlab", kind)
	}
	params := stages.Params{}
	for name, t := range text {
		spec, ok := stages.Spec(st, name)
		if !ok {
			return nil, nil, fmt.Errorf("recorded param %q is unknown to stage %s", name, kind)
		}
		v, err := spec.ParseValue(t)
		if err != nil {
			return nil, nil, err
		}
		params[name] = v
	}
	return st, params, nil
}
