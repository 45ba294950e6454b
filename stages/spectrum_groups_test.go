package stages

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// plantedRecording is a stimuli × repeats × units recording of two unit
// groups, interleaved (unit u in group u%2, labelled 7 and 3): in group g
// the signal of its j-th unit is N(0, (j+1)^-alphas[g]), the same in every
// repeat, plus independent N(0, sigma²) noise per repeat, so the signal
// spectrum is an exact power law and the noise has no cross-repeat
// covariance.
func plantedRecording(seed, stimuli, repeats, perGroup int, alphas [2]float64, sigma float64) (resp, labels *ndarray.Array) {
	rng := RNG("test-recording", seed)
	units := 2 * perGroup
	resp = ndarray.NewF64(stimuli, repeats, units)
	labels = &ndarray.Array{Shape: []int{units}, I64: make([]int64, units)}
	for u := range labels.I64 {
		labels.I64[u] = []int64{7, 3}[u%2]
	}
	for s := 0; s < stimuli; s++ {
		for u := 0; u < units; u++ {
			signal := rng.NormFloat64() * math.Pow(float64(u/2+1), -alphas[u%2]/2)
			for r := 0; r < repeats; r++ {
				resp.F64[(s*repeats+r)*units+u] = signal + sigma*rng.NormFloat64()
			}
		}
	}
	return resp, labels
}

// cvPCA per unit group recovers each group's planted α within its CI
// despite noise as large as the signal of most units (plain PCA of one
// repeat would flatten the spectrum, METHODS §1.4), and each group's
// result is the one-group result on its units alone.
func TestSpectrumRepeatsPerGroup(t *testing.T) {
	resp, labels := plantedRecording(1, 500, 2, 100, [2]float64{1.0, 1.6}, 0.2)
	p := Params{"repeats": []int{0, 1}, "ranks": []int{2, 40}, "n_bootstraps": 30, "nshuff": 4}
	out, err := runSpectrum(t, Inputs{"responses": resp, "unit_groups": labels}, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["group_labels"].(*ndarray.Array).I64; !slices.Equal(got, []int64{3, 7}) {
		t.Fatalf("group_labels %v, want [3 7]", got)
	}
	want := []float64{1.6, 1.0} // label 3 holds the odd units
	alpha, ci := f64(out, "alpha"), f64(out, "alpha_ci")
	for g, a := range want {
		if !(ci[2*g] <= a && a <= ci[2*g+1]) || math.Abs(alpha[g]-a) > 0.1 {
			t.Errorf("group %d: alpha %.3f, CI [%.3f, %.3f]; planted %.1f", g, alpha[g], ci[2*g], ci[2*g+1], a)
		}
	}
	// Group 7 alone: the units with label 7, without unit_groups.
	var units []int
	for u, l := range labels.I64 {
		if l == 7 {
			units = append(units, u)
		}
	}
	alone, err := runSpectrum(t, Inputs{"responses": selectUnits(resp, units)}, p)
	if err != nil {
		t.Fatal(err)
	}
	if f64(alone, "alpha")[0] != alpha[1] || !slices.Equal(f64(alone, "alpha_ci"), ci[2:]) {
		t.Errorf("group 7 alone: alpha %v CI %v; within the grouped run %v %v", f64(alone, "alpha"), f64(alone, "alpha_ci"), alpha[1], ci[2:])
	}
}

// selectUnits is resp (S×R×U) restricted to the given units.
func selectUnits(resp *ndarray.Array, units []int) *ndarray.Array {
	s, r, u := resp.Shape[0], resp.Shape[1], resp.Shape[2]
	out := ndarray.NewF64(s, r, len(units))
	for i := 0; i < s*r; i++ {
		for j, k := range units {
			out.F64[i*len(units)+j] = resp.F64[i*u+k]
		}
	}
	return out
}

// Refusals name the param or input and what is wanted.
func TestSpectrumRepeatsErrors(t *testing.T) {
	resp, labels := plantedRecording(1, 20, 2, 3, [2]float64{1, 1}, 0.1)
	cases := []struct {
		name string
		in   Inputs
		p    Params
		want string
	}{
		{"same repeat", Inputs{"responses": resp}, Params{"repeats": []int{1, 1}}, `param "repeats": [1, 1] for 2 repeats`},
		{"repeat past the end", Inputs{"responses": resp}, Params{"repeats": []int{0, 2}}, "want two different repeats in 0..1"},
		{"2-d responses", Inputs{"responses": ndarray.NewF64(4, 3)}, Params{"repeats": []int{0, 1}}, `input "responses": got`},
		{"labels per unit", Inputs{"responses": resp, "unit_groups": ndarray.Ints(1, 2)}, Params{"repeats": []int{0, 1}}, `input "unit_groups": want 6 integer unit group labels (one per unit of the responses)`},
		{"x with repeats", Inputs{"responses": resp, "x": ndarray.NewF64(4, 3)}, Params{"repeats": []int{0, 1}}, `input "x" is given with param "repeats"`},
		{"responses without repeats", Inputs{"responses": resp, "x": ndarray.NewF64(4, 3)}, Params{}, `input "responses" needs param "repeats"`},
		{"channel view", Inputs{"responses": resp, "unit_groups": labels}, Params{"repeats": []int{0, 1}, "view": "channel"}, "set view: full"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runSpectrum(t, c.in, c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}
