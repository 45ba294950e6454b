package spectral

import (
	"fmt"
	"math"
	"sort"
)

// Fit is a power-law fit λ_n ∝ n^-Alpha and how it was made: estimators
// disagree (METHODS.md §1.2), so a fit always carries its name and ranks.
type Fit struct {
	Estimator string
	Alpha     float64
	Intercept float64 // of log λ (natural log) against log n
	R2        float64
	Lo, Hi    int // 1-based inclusive rank range used
	Points    int // number of (rank, value) points fitted
}

// Estimators lists the α estimators by name (METHODS.md §1.2).
var Estimators = []string{"stringer", "ols-range", "elmoznino-logspaced", "elmoznino-tail", "logbinned"}

// MinPoints is the fewest points a fit may rest on.
const MinPoints = 10

// relFloor excludes eigenvalues at or below this fraction of λ_1.
const relFloor = 1e-12

// usable is the number of leading eigenvalues that are positive and above
// relFloor·λ_1; beyond it a spectrum is numerically zero (rank-deficient).
func usable(lambda []float64) int {
	if len(lambda) == 0 || lambda[0] <= 0 {
		return 0
	}
	for i, l := range lambda {
		if l <= 0 || l <= relFloor*lambda[0] {
			return i
		}
	}
	return len(lambda)
}

// DefaultRange is the default rank range of §1.2: [11, min(500, R−2)],
// R the number of usable eigenvalues.
func DefaultRange(lambda []float64) (lo, hi int) {
	return 11, min(500, usable(lambda)-2)
}

// FitPowerLaw fits α with the named estimator. lo and hi (1-based,
// inclusive) bound the ranks for stringer, ols-range and logbinned; the
// elmoznino estimators choose their ranks themselves. binsPerDecade is
// used by logbinned only.
func FitPowerLaw(lambda []float64, estimator string, lo, hi, binsPerDecade int) (Fit, error) {
	r := usable(lambda)
	var xs, ys, ws []float64
	f := Fit{Estimator: estimator}
	switch estimator {
	case "stringer", "ols-range":
		f.Lo, f.Hi = lo, min(hi, r)
		for n := f.Lo; n <= f.Hi; n++ {
			xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
			if estimator == "stringer" {
				ws = append(ws, 1/float64(n))
			}
		}
	case "elmoznino-logspaced":
		f.Lo, f.Hi = 1, r
		for i := 0; i < 50 && r > 0; i++ {
			n := int(math.Round(math.Pow(10, math.Log10(float64(r))*float64(i)/49)))
			xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		}
	case "elmoznino-tail":
		f.Lo, f.Hi = 1, int(math.Floor(math.Pow(float64(r), 0.95)))
		for n := 1; n <= f.Hi; n++ {
			xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		}
	case "logbinned":
		f.Lo, f.Hi = lo, min(hi, r)
		xs, ys = logBins(lambda, f.Lo, f.Hi, binsPerDecade)
	default:
		return f, fmt.Errorf("unknown estimator %q; want one of %v", estimator, Estimators)
	}
	f.Points = len(xs)
	if f.Points < MinPoints {
		return f, fmt.Errorf("estimator %s: only %d usable points in ranks %d..%d (of %d nonzero eigenvalues); need at least %d — lower ranks[0], raise ranks[1] or give more samples",
			estimator, f.Points, f.Lo, f.Hi, r, MinPoints)
	}
	slope, icept := weightedLine(xs, ys, ws)
	f.Alpha, f.Intercept = -slope, icept
	f.R2 = r2(f, lambda, xs, ys)
	return f, nil
}

// weightedLine fits y = a·x + b by least squares with weights w (nil: all
// ones), in closed form (XᵀWX)⁻¹XᵀWy.
func weightedLine(xs, ys, ws []float64) (a, b float64) {
	var sw, sx, sy, sxx, sxy float64
	for i := range xs {
		w := 1.0
		if ws != nil {
			w = ws[i]
		}
		sw += w
		sx += w * xs[i]
		sy += w * ys[i]
		sxx += w * xs[i] * xs[i]
		sxy += w * xs[i] * ys[i]
	}
	a = (sw*sxy - sx*sy) / (sw*sxx - sx*sx)
	b = (sy - a*sx) / sw
	return a, b
}

// r2 is the squared correlation, in log space, between the data and the
// fitted line. For stringer it is taken at 100 log-spaced ranks in the
// range as the MATLAB reference does; otherwise at the fitted points.
func r2(f Fit, lambda, xs, ys []float64) float64 {
	if f.Estimator == "stringer" {
		xs, ys = nil, nil
		for i := 0; i < 100; i++ {
			t := math.Log(float64(f.Lo)) + (math.Log(float64(f.Hi))-math.Log(float64(f.Lo)))*float64(i)/99
			n := int(math.Round(math.Exp(t)))
			xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		}
	}
	pred := make([]float64, len(xs))
	for i, x := range xs {
		pred[i] = f.Intercept - f.Alpha*x
	}
	c := corr(ys, pred)
	return c * c
}

func corr(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 1 // an exact line
	}
	return sab / math.Sqrt(saa*sbb)
}

// logBins groups ranks in geometric bins (binsPerDecade per decade, edges
// from 1) and returns, per non-empty bin inside [lo, hi], the mean log-rank
// and the mean log-value of its members (§1.2 logbinned, §3.6 note on bin
// centres). Averaging in log space (a geometric mean) is this project's
// convention [proposal]: it makes an exact power law fit exactly, which
// the arithmetic mean of λ does not (Jensen's inequality).
func logBins(lambda []float64, lo, hi, binsPerDecade int) (xs, ys []float64) {
	type bin struct {
		logRank, sum float64
		n            int
	}
	bins := map[int]*bin{}
	for n := lo; n <= hi; n++ {
		b := int(math.Floor(math.Log10(float64(n)) * float64(binsPerDecade)))
		if bins[b] == nil {
			bins[b] = &bin{}
		}
		bins[b].logRank += math.Log(float64(n))
		bins[b].sum += math.Log(lambda[n-1])
		bins[b].n++
	}
	keys := make([]int, 0, len(bins))
	for k := range bins {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		b := bins[k]
		xs = append(xs, b.logRank/float64(b.n))
		ys = append(ys, b.sum/float64(b.n))
	}
	return xs, ys
}
