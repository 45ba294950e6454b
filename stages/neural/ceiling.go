package neural

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SplitHalf returns each unit's split-half reliability with the
// Spearman–Brown correction: the repeats are split in two halves, each
// half averaged, the Pearson r of the two half-means taken across stimuli,
// and r_full = 2r/(1+r) estimates the reliability of the mean of all
// repeats. With splits = 0 the halves are the even and the odd repeats
// (0-based); with splits > 0 they are that many random halvings (seeded,
// the first ⌊R/2⌋ repeats of a permutation against the rest), r averaged
// over them before the correction. A unit constant across stimuli in a
// half gets NaN.
func SplitHalf(x Responses, splits int, seed uint64) ([]float64, error) {
	if splits < 0 {
		return nil, fmt.Errorf("split-half reliability: splits = %d, want ≥ 0", splits)
	}
	r := make([]float64, x.Units)
	if splits == 0 {
		var even, odd []int
		for i := 0; i < x.Repeats; i++ {
			if i%2 == 0 {
				even = append(even, i)
			} else {
				odd = append(odd, i)
			}
		}
		addHalves(r, x, even, odd, 1)
	} else {
		rng := rand.New(rand.NewPCG(seed, 0))
		for k := 0; k < splits; k++ {
			perm := rng.Perm(x.Repeats)
			addHalves(r, x, perm[:x.Repeats/2], perm[x.Repeats/2:], 1/float64(splits))
		}
	}
	for u, v := range r {
		r[u] = 2 * v / (1 + v)
	}
	return r, nil
}

// addHalves adds w times the per-unit Pearson r of the two half-means to acc.
func addHalves(acc []float64, x Responses, a, b []int, w float64) {
	ma, mb := x.MeanOver(a), x.MeanOver(b)
	for u := range acc {
		acc[u] += w * pearsonColumn(ma, mb, x.Stimuli, x.Units, u)
	}
}

// pearsonColumn is the Pearson r of column u of two rows × cols arrays.
func pearsonColumn(a, b []float64, rows, cols, u int) float64 {
	var sa, sb float64
	for i := 0; i < rows; i++ {
		sa += a[i*cols+u]
		sb += b[i*cols+u]
	}
	sa /= float64(rows)
	sb /= float64(rows)
	var ab, aa, bb float64
	for i := 0; i < rows; i++ {
		da, db := a[i*cols+u]-sa, b[i*cols+u]-sb
		ab += da * db
		aa += da * da
		bb += db * db
	}
	return ab / math.Sqrt(aa*bb)
}

// NCSNR returns each unit's noise-ceiling signal-to-noise ratio as NSD
// defines it (Allen et al. 2022, Methods "Noise ceiling"): the noise
// variance σ_N² is the variance across repeats (ddof 1) averaged over
// stimuli, the signal variance σ_S² = max(0, σ_T² − σ_N²) with σ_T² the
// variance of all single trials (ddof 1; NSD z-scores betas per session so
// σ_T² = 1 there), and ncsnr = σ_S/σ_N (+Inf for a noiseless unit with
// signal, 0 for a constant unit).
func NCSNR(x Responses) []float64 {
	out := make([]float64, x.Units)
	n := float64(x.Stimuli * x.Repeats)
	for u := range out {
		var noise, sum, sq float64
		for s := 0; s < x.Stimuli; s++ {
			var m float64
			for r := 0; r < x.Repeats; r++ {
				m += x.At(s, r, u)
			}
			m /= float64(x.Repeats)
			for r := 0; r < x.Repeats; r++ {
				d := x.At(s, r, u) - m
				noise += d * d
				sum += x.At(s, r, u)
			}
		}
		noise /= float64(x.Stimuli * (x.Repeats - 1))
		mean := sum / n
		for i := u; i < len(x.V); i += x.Units {
			sq += (x.V[i] - mean) * (x.V[i] - mean)
		}
		signal := math.Max(0, sq/(n-1)-noise)
		switch {
		case noise > 0:
			out[u] = math.Sqrt(signal / noise)
		case signal > 0:
			out[u] = math.Inf(1)
		}
	}
	return out
}

// NoiseCeiling is NSD's ceiling in percent of explainable variance for
// responses averaged over n repeats: NC = 100·ncsnr²/(ncsnr² + 1/n).
func NoiseCeiling(ncsnr []float64, n int) []float64 {
	out := make([]float64, len(ncsnr))
	for u, s := range ncsnr {
		if math.IsInf(s, 1) {
			out[u] = 100
			continue
		}
		out[u] = 100 * s * s / (s*s + 1/float64(n))
	}
	return out
}
