package stages

import (
	"cmp"
	"fmt"
	"math"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/neural"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// groupOutputs are the spectrum stage's outputs with param repeats: one
// entry (row) per unit group.
var groupOutputs = []string{"alpha", "alpha_ci", "fit_range", "r2", "n_points", "eigenvalues", "group_labels", "info"}

// responsesInput reads input name as a recording, stimuli × repeats ×
// units (load hdf5 with axes gives one).
func responsesInput(in Inputs, name string) (neural.Responses, error) {
	a, err := in.Array(name)
	if err != nil {
		return neural.Responses{}, err
	}
	if len(a.Shape) != 3 {
		return neural.Responses{}, fmt.Errorf("input %q: got %s; want stimuli × repeats × units (load hdf5 with param axes gives it)", name, a.Describe())
	}
	x, err := neural.NewResponses(a.Float64s(), a.Shape[0], a.Shape[1], a.Shape[2])
	if err != nil {
		return x, fmt.Errorf("input %q: %w", name, err)
	}
	return x, nil
}

// unitGroupsInput returns the unit groups of x: the labels of input
// unit_groups, or one group (label 0) of every unit without it.
func unitGroupsInput(in Inputs, x neural.Responses) (names []int64, members [][]int, err error) {
	labels := make([]int64, x.Units)
	if a, ok := in["unit_groups"]; ok {
		if labels, err = labelsPer("unit_groups", "unit group", "unit of the responses", a, x.Units); err != nil {
			return nil, nil, err
		}
	}
	return neural.Groups(labels, x.Units)
}

// repeatPair is param repeats checked against the recording.
func repeatPair(p Params, x neural.Responses) (r1, r2 int, err error) {
	r := p.Ints("repeats")
	if r[0] == r[1] || r[0] >= x.Repeats || r[1] >= x.Repeats {
		return 0, 0, fmt.Errorf("param \"repeats\": [%d, %d] for %d repeats; want two different repeats in 0..%d", r[0], r[1], x.Repeats, x.Repeats-1)
	}
	return r[0], r[1], nil
}

// groupSpectra is the spectrum stage with param repeats (METHODS §1.4):
// cvPCA of repeats r1 and r2 of the responses within each unit group, α
// fitted per group with alpha_ci from bootstraps of the stimuli (each
// group's shuffles and draws from streams of their own, so a group's
// result does not depend on the others).
func groupSpectra(in Inputs, p Params) (Outputs, error) {
	if _, ok := in["x"]; ok {
		return nil, fmt.Errorf("input \"x\" is given with param \"repeats\": repeats reads input \"responses\" (stimuli × repeats × units); remove one")
	}
	x, err := responsesInput(in, "responses")
	if err != nil {
		return nil, err
	}
	r1, r2, err := repeatPair(p, x)
	if err != nil {
		return nil, err
	}
	names, members, err := unitGroupsInput(in, x)
	if err != nil {
		return nil, err
	}
	g := len(names)
	out := Outputs{"alpha": ndarray.NewF64(g), "alpha_ci": ndarray.NewF64(g, 2), "fit_range": &ndarray.Array{Shape: []int{g, 2}, I64: make([]int64, 2*g)},
		"r2": ndarray.NewF64(g), "n_points": ndarray.NewF64(g), "group_labels": &ndarray.Array{Shape: []int{g}, I64: names}}
	info := ndarray.Record{"cvpca": true, "repeats": []int{r1, r2}, "nshuff": p.Int("nshuff"), "n_stimuli": x.Stimuli, "n_units": x.Units, "n_groups": g}
	spectra := make([][]float64, g)
	var groups []ndarray.Record
	for k, units := range members {
		rec := ndarray.Record{"label": names[k], "units": len(units)}
		boot, err := newBootstrap(in, p, x.Stimuli, info)
		if err != nil {
			return nil, err
		}
		lam, draws, err := spectral.CvPCA(RNG("spectrum", p.Int("seed")), x.Repeat(r1, units), x.Repeat(r2, units), p.Int("nshuff"), boot)
		if err != nil {
			return nil, fmt.Errorf("input \"responses\", unit group %d (%d units): %w", names[k], len(units), err)
		}
		fit, _, _, err := fitRange(lam, p)
		if err != nil {
			return nil, err
		}
		rec["fit"] = cmp.Or(fit.NoFit, "ok")
		ci := bootstrapCI(fit, draws, p, rec)
		out["alpha"].(*ndarray.Array).F64[k], out["r2"].(*ndarray.Array).F64[k] = fit.Alpha, fit.R2
		out["n_points"].(*ndarray.Array).F64[k] = float64(fit.Points)
		copy(out["alpha_ci"].(*ndarray.Array).F64[2*k:], ci.F64)
		copy(out["fit_range"].(*ndarray.Array).I64[2*k:], []int64{int64(fit.Lo), int64(fit.Hi)})
		spectra[k], groups = lam, append(groups, rec)
	}
	info["groups"], info["estimator"] = groups, p.String("estimator")
	out["eigenvalues"], out["info"] = padded(spectra), info
	return out, nil
}

// padded stacks rows of unequal length into a matrix, NaN past each
// row's end.
func padded(rows [][]float64) *ndarray.Array {
	k := 0
	for _, r := range rows {
		k = max(k, len(r))
	}
	out := ndarray.NewF64(len(rows), k)
	for i, r := range rows {
		row := out.F64[i*k : (i+1)*k]
		for j := range row {
			row[j] = math.NaN()
		}
		copy(row, r)
	}
	return out
}
