package stages

import (
	"fmt"
	"maps"
	"math"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/neural"
)

// ceilingOutputs are encode's outputs with param ceiling other than none.
var ceilingOutputs = []string{"ncsnr", "ceiling", "r2_normalised", "mean_r2_normalised"}

// encodeTargets returns the inputs encode fits: as given, or with input
// responses, y set to the responses averaged over all repeats (and the
// recording, for its noise ceiling).
func encodeTargets(in Inputs, p Params) (Inputs, *neural.Responses, error) {
	_, hasResp := in["responses"]
	_, hasY := in["y"]
	switch {
	case hasResp && hasY:
		return nil, nil, fmt.Errorf("inputs \"y\" and \"responses\" are both given: responses are the targets averaged over their repeats; give one")
	case !hasResp && ceilingOf(p) != "none":
		return nil, nil, fmt.Errorf("param \"ceiling\": %s needs input \"responses\" (stimuli × repeats × units) to measure the noise; give responses instead of y, or set ceiling: none", ceilingOf(p))
	case !hasResp:
		return in, nil, nil
	}
	x, err := responsesInput(in, "responses")
	if err != nil {
		return nil, nil, err
	}
	all := make([]int, x.Repeats)
	for r := range all {
		all[r] = r
	}
	out := maps.Clone(in)
	out["y"] = &ndarray.Array{Shape: []int{x.Stimuli, x.Units}, F64: x.MeanOver(all)}
	return out, &x, nil
}

// noiseCeiling adds the ceiling outputs for the per-target R² r2 of the
// repeat-averaged responses x: each unit's ncsnr (NSD), its ceiling as a
// fraction of the variance of the mean of all repeats — NSD's
// ncsnr²/(ncsnr² + 1/R) (ceiling ncsnr) or the Spearman–Brown corrected
// split-half reliability of the even against the odd repeats (ceiling
// splithalf) — and r2/ceiling (NaN where the ceiling is not positive), with
// its mean over the units where it is finite.
func noiseCeiling(out Outputs, x *neural.Responses, r2 []float64, how string) error {
	ncsnr := neural.NCSNR(*x)
	ceiling := neural.NoiseCeiling(ncsnr, x.Repeats)
	for u := range ceiling {
		ceiling[u] /= 100
	}
	if how == "splithalf" {
		var err error
		if ceiling, err = neural.SplitHalf(*x, 0, 0); err != nil {
			return fmt.Errorf("param \"ceiling\": %w", err)
		}
	}
	norm := make([]float64, len(r2))
	var sum float64
	var n int
	for u, c := range ceiling {
		norm[u] = math.NaN()
		if c > 0 {
			norm[u] = r2[u] / c
			sum, n = sum+norm[u], n+1
		}
	}
	out["ncsnr"], out["ceiling"] = vector(ncsnr), vector(ceiling)
	out["r2_normalised"], out["mean_r2_normalised"] = vector(norm), ndarray.Scalar(sum/float64(n))
	return nil
}

// vector wraps v as a 1-d float64 array.
func vector(v []float64) *ndarray.Array { return &ndarray.Array{Shape: []int{len(v)}, F64: v} }
