package spectral

import (
	"fmt"
	"math"
)

// Fit is a power-law fit λ_n ∝ n^-Alpha and how it was made: estimators
// disagree (METHODS.md §1.2), so a fit always carries its name and ranks.
type Fit struct {
	Estimator string
	Alpha     float64
	Intercept float64 // of ln λ against ln n
	R2        float64
	Lo, Hi    int // first and last 1-based rank among the fitted points
	Points    int // number of (rank, value) points fitted (bins for logbinned)
}

// Estimators lists the α estimators by name (METHODS.md §1.2).
var Estimators = []string{"stringer", "ols-range", "elmoznino-logspaced", "elmoznino-tail", "logbinned"}

// RangedEstimator reports whether the estimator fits a given rank range;
// the elmoznino estimators choose their ranks from the spectrum length.
func RangedEstimator(name string) bool {
	return name != "elmoznino-logspaced" && name != "elmoznino-tail"
}

// MinPoints is the fewest points a fit may rest on (§1.2).
const MinPoints = 10

// relFloor: eigenvalues at or below relFloor·λ_max are numerically zero.
const relFloor = 1e-12

// usableRanks marks the ranks (index n−1) a fit may use: λ_n > 0 and
// λ_n > relFloor·λ_max (§1.2). Negative cvPCA values are excluded, not
// folded with abs() as Stringer's MATLAB does. R is the last usable rank:
// the length of the spectrum once its numerically-zero or negative tail
// is cut, the "number of eigenvalues" of the default range.
func usableRanks(lambda []float64) (ok []bool, R int) {
	top := 0.0
	for _, l := range lambda {
		top = math.Max(top, l)
	}
	ok = make([]bool, len(lambda))
	for i, l := range lambda {
		if l > 0 && l > relFloor*top {
			ok[i], R = true, i+1
		}
	}
	return ok, R
}

// DefaultRange is the default rank range of §1.2, [11, min(500, R−2)],
// with R the last usable rank (see usableRanks).
func DefaultRange(lambda []float64) (lo, hi int) {
	_, r := usableRanks(lambda)
	return 11, min(500, r-2)
}

// FitPowerLaw fits α with the named estimator (§1.2):
//   - stringer: WLS of ln λ on ln n, weights 1/n, ranks lo..hi (the MATLAB
//     get_powerlaw.m 1-based ranks); r² is the squared correlation of
//     ln n and ln λ at the 100 ranks round(exp(linspace(ln lo, ln hi, 100))),
//     duplicates kept, as get_powerlaw.m computes it;
//   - ols-range: OLS on ranks lo..hi (Rainbow fit_affine);
//   - elmoznino-logspaced: OLS at the 50 ranks round(logspace(0, log10 R, 50)),
//     duplicates kept (numpy rounds half to even);
//   - elmoznino-tail: OLS on all ranks n with ln n ≤ 0.95 ln R;
//   - logbinned [proposal]: OLS over geometric bins (binsPerDecade) of
//     ranks lo..hi, each bin's mean ln n against its mean ln λ.
//
// Unusable values (≤ 0 or ≤ 1e-12·λ_max) are left out; hi is cut at R.
// The elmoznino estimators ignore lo and hi. r² of the estimators other
// than stringer is the squared correlation at the fitted points. Fewer
// than MinPoints points is an error.
func FitPowerLaw(lambda []float64, estimator string, lo, hi, binsPerDecade int) (Fit, error) {
	ok, r := usableRanks(lambda)
	var ranks []int
	switch estimator {
	case "stringer", "ols-range", "logbinned":
		for n := max(lo, 1); n <= min(hi, r); n++ {
			ranks = append(ranks, n)
		}
	case "elmoznino-logspaced":
		for i := 0; i < 50 && r > 0; i++ {
			e := math.Log10(float64(r))
			if i < 49 {
				e = float64(i) * (e / 49)
			}
			ranks = append(ranks, int(math.RoundToEven(math.Pow(10, e))))
		}
	case "elmoznino-tail":
		for n := 1; n <= r && math.Log(float64(n)) <= 0.95*math.Log(float64(r)); n++ {
			ranks = append(ranks, n)
		}
	default:
		return Fit{}, fmt.Errorf("unknown estimator %q; want one of %v", estimator, Estimators)
	}
	f := Fit{Estimator: estimator}
	var ns []int
	var xs, ys, ws []float64
	for _, n := range ranks {
		if !ok[n-1] {
			continue
		}
		if f.Lo == 0 {
			f.Lo = n
		}
		f.Hi = n
		ns = append(ns, n)
		xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		if estimator == "stringer" {
			ws = append(ws, 1/float64(n))
		}
	}
	if estimator == "logbinned" {
		xs, ys = logBins(ns, ys, binsPerDecade)
	}
	f.Points = len(xs)
	if f.Points < MinPoints {
		where := fmt.Sprintf("ranks %d..%d", max(lo, 1), min(hi, r))
		if !RangedEstimator(estimator) {
			where = "its ranks"
		}
		return f, fmt.Errorf("estimator %s: only %d usable points in %s (the spectrum has %d usable values); need at least %d: widen the rank range or give more samples",
			estimator, f.Points, where, r, MinPoints)
	}
	slope, icept := weightedLine(xs, ys, ws)
	f.Alpha, f.Intercept = -slope, icept
	if estimator == "stringer" {
		xs, ys = stringerR2Points(lambda, ok, f.Lo, f.Hi)
	}
	c := corr(xs, ys)
	f.R2 = c * c
	return f, nil
}

// stringerR2Points are get_powerlaw.m's r² points: ranks
// round(exp(linspace(ln lo, ln hi, 100))) (MATLAB rounds half away from
// zero, as math.Round does), usable ones only.
func stringerR2Points(lambda []float64, ok []bool, lo, hi int) (xs, ys []float64) {
	a, b := math.Log(float64(lo)), math.Log(float64(hi))
	for i := 0; i < 100; i++ {
		t := b
		if i < 99 {
			t = a + float64(i)*(b-a)/99
		}
		if n := int(math.Round(math.Exp(t))); ok[n-1] {
			xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		}
	}
	return xs, ys
}

// weightedLine fits y = a·x + b by least squares with weights w (nil: all
// ones), about the weighted means (two passes, no cancellation).
func weightedLine(xs, ys, ws []float64) (a, b float64) {
	w := func(i int) float64 {
		if ws == nil {
			return 1
		}
		return ws[i]
	}
	var sw, mx, my float64
	for i := range xs {
		sw += w(i)
		mx += w(i) * xs[i]
		my += w(i) * ys[i]
	}
	mx, my = mx/sw, my/sw
	var sxy, sxx float64
	for i := range xs {
		dx := xs[i] - mx
		sxy += w(i) * dx * (ys[i] - my)
		sxx += w(i) * dx * dx
	}
	a = sxy / sxx
	return a, my - a*mx
}

// corr is the Pearson correlation of a and b; 1 if either is constant.
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
		return 1
	}
	return sab / math.Sqrt(saa*sbb)
}

// logBins groups the ranks ns (with ys = ln λ) in geometric bins,
// binsPerDecade per decade with edges 10^(k/binsPerDecade), and returns
// each non-empty bin's mean ln n and mean ln λ, in rank order. Averaging
// in log space (geometric means) is this project's convention [proposal;
// METHODS.md §1.2 says mean λ]: an exact power law then fits exactly,
// which the arithmetic mean of λ does not (Jensen's inequality).
func logBins(ns []int, ys []float64, binsPerDecade int) (bx, by []float64) {
	var k, last = 0, math.MinInt
	var sx, sy, cnt float64
	flush := func() {
		if cnt > 0 {
			bx, by = append(bx, sx/cnt), append(by, sy/cnt)
		}
		sx, sy, cnt = 0, 0, 0
	}
	for i, n := range ns {
		if k = rankBin(n, binsPerDecade); k != last {
			flush()
			last = k
		}
		sx += math.Log(float64(n))
		sy += ys[i]
		cnt++
	}
	flush()
	return bx, by
}

// rankBin is the k with 10^(k/bpd) ≤ n < 10^((k+1)/bpd), exact at the
// decades (where floating-point log10 may land just below an integer).
func rankBin(n, bpd int) int {
	edge := func(k int) float64 { return math.Pow(10, float64(k)/float64(bpd)) }
	k := int(math.Floor(math.Log10(float64(n)) * float64(bpd)))
	for edge(k+1) <= float64(n) {
		k++
	}
	for edge(k) > float64(n) {
		k--
	}
	return k
}

// EffectiveDim is the participation ratio (Σλ)²/Σλ² (METHODS.md §1.3).
// It is defined for PCA eigenvalues (non-negative) only, never for cvPCA
// or cross-decomposition values, which can be negative.
func EffectiveDim(lambda []float64) float64 {
	var s, s2 float64
	for _, l := range lambda {
		s += l
		s2 += l * l
	}
	if s2 == 0 {
		return 0
	}
	return s * s / s2
}
