package stages

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/neural"
)

// runCrossValidated is runCross after the stage's Validate, as the
// parser runs it.
func runCrossValidated(t *testing.T, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	if err := (crossdecomp{}).Validate(crossParams(p)); err != nil {
		return nil, err
	}
	return runCross(t, in, p)
}

// A recording against itself (§3.7): the same-trial spectrum of one repeat
// is its PCA, signal plus the noise of every unit; the cross-trial one
// averages (repeat 0, repeat 1) and (repeat 1, repeat 0), where the
// independent noise has no covariance, so its total is the planted signal
// variance. The stage's per-fold spectra are decomp.FitCrossTrial's.
func TestCrossdecompCrossTrialRemovesNoise(t *testing.T) {
	const perGroup, sigma = 20, 0.4
	resp, _ := plantedRecording(2, 600, 2, perGroup, [2]float64{1, 1}, sigma)
	signal := 0.0
	for j := 1; j <= perGroup; j++ {
		signal += 2 / float64(j)
	}
	p := Params{"repeats": []int{0, 1}, "normalize": false, "recenter_test": true, "n_permutations": 20}
	cross, err := runCross(t, Inputs{"x_repeats": resp, "y_repeats": resp}, p)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := neural.NewResponses(resp.F64, 600, 2, 2*perGroup)
	one := &ndarray.Array{Shape: []int{600, 2 * perGroup}, F64: repeatMatrix(rec, 0).RawMatrix().Data}
	same, err := runCross(t, Inputs{"x": one, "y": one}, Params{"normalize": false, "recenter_test": true})
	if err != nil {
		t.Fatal(err)
	}
	noise := 2 * perGroup * sigma * sigma
	if got := f64(cross, "total")[0]; math.Abs(got-signal) > 0.1*signal {
		t.Errorf("cross-trial total %.3f, want the signal variance %.3f ± 10%%", got, signal)
	}
	if got := f64(same, "total")[0]; math.Abs(got-signal-noise) > 0.1*(signal+noise) {
		t.Errorf("same-trial total %.3f, want signal + noise %.3f ± 10%%", got, signal+noise)
	}
	info := cross["info"].(ndarray.Record)
	if info["cross_trial"] != true || !slices.Equal(info["repeats"].([]int), []int{0, 1}) {
		t.Errorf("info %v: want cross_trial true and repeats [0 1]", info)
	}
	plan, _ := planFolds(Inputs{}, crossParams(p), 600)
	ct, err := decomp.FitCrossTrial(context.Background(), decomp.Repeats{X1: repeatMatrix(rec, 0), X2: repeatMatrix(rec, 1), Y1: repeatMatrix(rec, 0), Y2: repeatMatrix(rec, 1)},
		plan.labels, nil, decomp.CrossOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ct.Spectra(decomp.Metric{Recenter: true})
	if got := f64(cross, "spectrum_folds"); !floats.Equal(got, slices.Concat(want...)) {
		t.Errorf("spectrum_folds differ from decomp.FitCrossTrial's")
	}
}

// Refusals name the param or input and what is wanted.
func TestCrossdecompCrossTrialErrors(t *testing.T) {
	resp, _ := plantedRecording(2, 40, 3, 3, [2]float64{1, 1}, 0.1)
	x := ndarray.NewF64(40, 4)
	cases := []struct {
		name string
		in   Inputs
		p    Params
		want string
	}{
		{"correlation", Inputs{"x": x, "y_repeats": resp}, Params{"repeats": []int{0, 1}, "metric": "correlation"}, `param "metric": correlation with param "repeats"`},
		{"y with repeats", Inputs{"x": x, "y": x, "y_repeats": resp}, Params{"repeats": []int{0, 1}}, `input "y" is given with param "repeats"`},
		{"x and x_repeats", Inputs{"x": x, "x_repeats": resp, "y_repeats": resp}, Params{"repeats": []int{0, 1}}, `exactly one of input "x"`},
		{"repeat out of range", Inputs{"x": x, "y_repeats": resp}, Params{"repeats": []int{0, 3}}, `input "y_repeats": param "repeats": [0, 3] for 3 repeats`},
		{"stimuli differ", Inputs{"x": ndarray.NewF64(30, 4), "y_repeats": resp}, Params{"repeats": []int{0, 1}}, "30 and 40 stimuli"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCrossValidated(t, c.in, c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}
