package snap

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Summary holds SNAP's spectral-bias and task-alignment summaries of a
// spectrum (snap/data_utils.py process_model), computed with the
// eigenvalues normalised to unit trace and the squared weights summed over
// targets and normalised to unit total.
//
// One deviation from SNAP, where P > N: the P − Rank modes past the rank
// share one eigenvalue (the jitter), so how the target's power splits among
// them is an arbitrary choice of the eigensolver, and SNAP's per-mode
// summaries change with it. Here they are merged into one mode holding
// their total eigenvalue and power (see lumped); with Rank = P nothing
// changes. Spectral bias is how fast the
// eigenvalues decay (small ED: few modes learned first); alignment is how
// fast the target's power accumulates along them (small TAD: the target
// lies on those first modes).
type Summary struct {
	ED      float64 // (Σλ)²/Σλ², SNAP eds
	CumED   float64 // ED of 1 − cumulative eigenvalue power, SNAP cum_eds
	TAD     float64 // ED of the squared weights, SNAP tads
	CumTAD  float64 // ED of 1 − cumulative weight power, SNAP cum_tads
	FeatDim float64 // ED of λ_i·(1 − cumulative eigenvalue power), SNAP feat_dims
	TaskDim float64 // ED of w_i²·(1 − cumulative weight power), SNAP task_dims
	// RankEig and RankWeight are the number of modes whose cumulative
	// eigenvalue (weight) power first exceeds the threshold (SNAP
	// mode_threshold; all modes if it never does).
	RankEig, RankWeight int
	// OutOfSpan is the fraction of the target power past Rank, pooled
	// over targets (SNAP sums the per-target fractions; equal for one target).
	OutOfSpan float64
}

// Summarize returns the summaries of s at the given cumulative-power
// threshold (SNAP uses 0.99).
func Summarize(s *Spectrum, threshold float64) Summary {
	eig := normalised(lumped(s.Eigs, s.Rank))
	w2 := normalised(lumped(rowPower(s.Weights), s.Rank))
	cumE, cumW := cumulative(eig), cumulative(w2)
	out := 0.0
	if s.Rank < len(s.Eigs) {
		out = w2[s.Rank]
	}
	return Summary{
		ED: EffDim(eig), CumED: EffDim(complement(cumE)),
		TAD: EffDim(w2), CumTAD: EffDim(complement(cumW)),
		FeatDim: EffDim(product(eig, complement(cumE))), TaskDim: EffDim(product(w2, complement(cumW))),
		RankEig: modeThreshold(cumE, threshold), RankWeight: modeThreshold(cumW, threshold),
		OutOfSpan: out,
	}
}

// ErrorModes returns SNAP's error-mode geometry of the curve for the
// weights it was computed from: with W_i(p) = ModeErr_i·Σ_t w_it²/Σ w², the
// radius R_em = ‖W‖₂ and dimension D_em = (Σ_i W_i)²/Σ_i W_i², so that
// E_g(p) = R_em·√D_em (Canatar et al. 2023, error-mode geometry). Modes
// from rank on are merged into one, as in Summary; pass the number of modes
// to keep them all.
func (c *Curve) ErrorModes(weights *mat.Dense, rank int) (radius, dim []float64) {
	w2 := normalised(rowPower(weights))
	radius, dim = make([]float64, len(c.P)), make([]float64, len(c.P))
	for k := range c.P {
		dyn := lumped(product(c.ModeErr.RawRowView(k), w2), rank)
		radius[k] = math.Sqrt(dot(dyn, dyn))
		dim[k] = EffDim(dyn)
	}
	return radius, dim
}

// EffDim is (Σv)²/Σv², the participation ratio SNAP calls eff_dimension.
func EffDim(v []float64) float64 {
	s := sum(v)
	return s * s / dot(v, v)
}

// lumped returns v[:rank] followed by Σ v[rank:] when rank < len(v): the
// degenerate modes past the rank merged into one.
func lumped(v []float64, rank int) []float64 {
	if rank >= len(v) {
		return v
	}
	return append(v[:rank:rank], sum(v[rank:]))
}

// rowPower is Σ_t w_it² for every row i.
func rowPower(w *mat.Dense) []float64 {
	r, _ := w.Dims()
	out := make([]float64, r)
	for i := range out {
		row := w.RawRowView(i)
		out[i] = dot(row, row)
	}
	return out
}

func normalised(v []float64) []float64 {
	s := sum(v)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / s
	}
	return out
}

// cumulative is cumsum(v)/Σv.
func cumulative(v []float64) []float64 {
	out := make([]float64, len(v))
	acc, s := 0.0, sum(v)
	for i, x := range v {
		acc += x
		out[i] = acc / s
	}
	return out
}

// complement is 1 − v elementwise.
func complement(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = 1 - x
	}
	return out
}

// product is a·b elementwise.
func product(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] * b[i]
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// modeThreshold is the 1-based index of the first cumulative power above
// threshold, or len(cum) if none is.
func modeThreshold(cum []float64, threshold float64) int {
	for i, c := range cum {
		if c > threshold {
			return i + 1
		}
	}
	return len(cum)
}
