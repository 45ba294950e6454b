package spectral

import (
	"fmt"
	"math"
	"strings"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Fit is a power-law fit λ_n ∝ n^-Alpha and how it was made: estimators
// disagree (METHODS.md §1.2), so a fit always carries its name and ranks.
// A spectrum that does not hold MinPoints points over MinDecades decades
// is not fitted: NoFit then says why, and Alpha, Intercept and R2 are NaN.
type Fit struct {
	Estimator string
	Alpha     float64
	Intercept float64 // of ln λ against ln n
	R2        float64
	Lo, Hi    int    // first and last 1-based usable rank among the points (0 if none)
	Points    int    // number of (rank, value) points (bins for logbinned)
	R         int    // last usable rank of the spectrum (see usableRanks)
	NoFit     string // why there is no fit; "" when fitted
}

// Estimators lists the α estimators by name (METHODS.md §1.2).
var Estimators = []string{"stringer", "ols-range", "elmoznino-logspaced", "elmoznino-tail", "logbinned", "logbinned-geometric"}

// RangedEstimator reports whether the estimator fits a given rank range;
// the elmoznino estimators choose their ranks from the spectrum length.
func RangedEstimator(name string) bool {
	return name != "elmoznino-logspaced" && name != "elmoznino-tail"
}

// MinPoints and MinDecades are what a fit must rest on (METHODS.md §1.2
// and §8.1, "Correction (turn 2)"): at least MinPoints points whose ranks
// span at least MinDecades decades (Hi ≥ 10^MinDecades·Lo).
const (
	MinPoints  = 10
	MinDecades = 1
)

// relFloor: eigenvalues at or below relFloor·λ_max are numerically zero.
const relFloor = 1e-12

// usableRanks marks the ranks (index n−1) a fit may use: λ_n > 0 and
// λ_n > relFloor·λ_max (§1.2). Negative cvPCA values are excluded, not
// folded with abs() as Stringer's MATLAB does. R is the last usable rank:
// the length of the spectrum once its numerically-zero or negative tail
// is cut, the "number of eigenvalues" of the default range; count is the
// number of usable ranks.
func usableRanks(lambda []float64) (ok []bool, R, count int) {
	top := 0.0
	for _, l := range lambda {
		top = math.Max(top, l)
	}
	ok = make([]bool, len(lambda))
	for i, l := range lambda {
		if l > 0 && l > relFloor*top {
			ok[i], R = true, i+1
			count++
		}
	}
	return ok, R, count
}

// DefaultRange is the default rank range of §1.2, [11, min(500, R−2)],
// with R the last usable rank (see usableRanks).
func DefaultRange(lambda []float64) (lo, hi int) {
	_, r, _ := usableRanks(lambda)
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
//   - logbinned (§1.2, §3.6): ranks lo..hi grouped in geometric bins
//     (binsPerDecade), OLS of ln(mean λ of the bin's members) on the mean
//     ln n of its members (the reference averages λ itself);
//   - logbinned-geometric: the same with the mean of ln λ per bin (a
//     geometric mean, a different estimator that fits an exact power law
//     exactly).
//
// Unusable values (≤ 0 or ≤ 1e-12·λ_max) are left out first; hi is cut at
// R. The elmoznino estimators ignore lo and hi. r² of the estimators
// other than stringer is the squared correlation at the fitted points.
// Fewer than MinPoints points, or points whose ranks span less than
// MinDecades decades, give a Fit with NoFit set, not an error; the error
// is for an unknown estimator.
func FitPowerLaw(lambda []float64, estimator string, lo, hi, binsPerDecade int) (Fit, error) {
	ok, r, count := usableRanks(lambda)
	ranks, err := estimatorRanks(estimator, lo, hi, r)
	if err != nil {
		return Fit{}, err
	}
	f := Fit{Estimator: estimator, R: r}
	var xs, ys, ws, vals []float64
	var ns []int
	for _, n := range ranks {
		if !ok[n-1] {
			continue
		}
		if f.Lo == 0 {
			f.Lo = n
		}
		f.Hi = n
		ns, vals = append(ns, n), append(vals, lambda[n-1])
		xs, ys = append(xs, math.Log(float64(n))), append(ys, math.Log(lambda[n-1]))
		if estimator == "stringer" {
			ws = append(ws, 1/float64(n))
		}
	}
	if strings.HasPrefix(estimator, "logbinned") {
		xs, ys = logBins(ns, vals, binsPerDecade, estimator == "logbinned-geometric")
	}
	f.Points = len(xs)
	if f.Points < MinPoints || f.Hi < f.Lo*pow10(MinDecades) {
		f.Alpha, f.Intercept, f.R2 = math.NaN(), math.NaN(), math.NaN()
		f.NoFit = noFitReason(f, max(lo, 1), hi, count)
		return f, nil
	}
	slope, icept := weightedLine(xs, ys, ws)
	f.Alpha, f.Intercept = -slope, icept
	if estimator == "stringer" {
		xs, ys = stringerR2Points(lambda, ok, f.Lo, f.Hi)
	}
	c := linalg.Pearson(xs, ys)
	f.R2 = c * c
	return f, nil
}

// estimatorRanks lists the ranks the estimator looks at, usable or not,
// for a spectrum whose last usable rank is r.
func estimatorRanks(estimator string, lo, hi, r int) ([]int, error) {
	var ranks []int
	switch estimator {
	case "stringer", "ols-range", "logbinned", "logbinned-geometric":
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
		return nil, fmt.Errorf("unknown estimator %q; want one of %v", estimator, Estimators)
	}
	return ranks, nil
}

// pow10 is 10^k for a small k ≥ 0.
func pow10(k int) int {
	p := 1
	for ; k > 0; k-- {
		p *= 10
	}
	return p
}

// noFitReason says why f (Points, Lo, Hi) is not a fit, with the ranks
// lo..hi asked for (ranged estimators) and the count of usable values.
func noFitReason(f Fit, lo, hi, count int) string {
	need := fmt.Sprintf("need >= %d points over >= %d decade (the spectrum has %d values above 1e-12·λmax)", MinPoints, MinDecades, count)
	if f.Points == 0 {
		switch {
		case !RangedEstimator(f.Estimator):
			return "no fit: no usable values; " + need
		case hi < lo:
			return fmt.Sprintf("no fit: no usable ranks from rank %d on; %s", lo, need)
		}
		return fmt.Sprintf("no fit: no usable ranks in %d..%d; %s", lo, hi, need)
	}
	unit := "usable ranks"
	switch {
	case strings.HasPrefix(f.Estimator, "logbinned"):
		unit = "bins over usable ranks"
	case f.Estimator == "elmoznino-logspaced":
		unit = "log-spaced points over usable ranks"
	}
	span := math.Log10(float64(f.Hi) / float64(f.Lo))
	return fmt.Sprintf("no fit: %d %s %d..%d span %.2f decades; %s", f.Points, unit, f.Lo, f.Hi, span, need)
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

// logBins groups the ranks ns (with values vals = λ) in geometric bins,
// binsPerDecade per decade with edges 10^(k/binsPerDecade), and returns
// each non-empty bin's mean ln n and, in rank order, ln of the mean λ of
// its members (the reference, METHODS.md §1.2 and §3.6) or, with
// geometric, the mean ln λ.
func logBins(ns []int, vals []float64, binsPerDecade int, geometric bool) (bx, by []float64) {
	var k, last = 0, math.MinInt
	var sx, sy, cnt float64
	flush := func() {
		if cnt == 0 {
			return
		}
		y := sy / cnt
		if !geometric {
			y = math.Log(y)
		}
		bx, by = append(bx, sx/cnt), append(by, y)
		sx, sy, cnt = 0, 0, 0
	}
	for i, n := range ns {
		if k = rankBin(n, binsPerDecade); k != last {
			flush()
			last = k
		}
		sx += math.Log(float64(n))
		if geometric {
			sy += math.Log(vals[i])
		} else {
			sy += vals[i]
		}
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

// NeighbourRanges are the two rank ranges beside [lo, hi] on which α's
// sensitivity to the range is measured (METHODS.md §1.2 and §8.1,
// "Correction (turn 2)": always report α's sensitivity to the range).
// The project's convention [proposal]: [lo, hi] shifted down and up in
// log-rank by a quarter of its log-width, rounded outward,
// lo' = ⌊lo·(hi/lo)^∓¼⌋ and hi' = ⌈hi·(hi/lo)^∓¼⌉, clipped to [1, R] with
// R the last usable rank of lambda. Rounding outward keeps each
// neighbour's span at least that of [lo, hi], so a one-decade range has
// one-decade neighbours (rounding to nearest made [5, 50] into [3, 28]
// and [9, 89], under a decade: "no fit"). Each keeps about three quarters
// of its log-width in common with [lo, hi] (less where clipped).
func NeighbourRanges(lambda []float64, lo, hi int) [2][2]int {
	_, r, _ := usableRanks(lambda)
	shift := math.Pow(float64(hi)/float64(lo), 0.25)
	clip := func(v float64) int { return max(1, min(r, int(v))) }
	lower := func(n int, f float64) int { return clip(math.Floor(float64(n) * f)) }
	upper := func(n int, f float64) int { return clip(math.Ceil(float64(n) * f)) }
	return [2][2]int{{lower(lo, 1/shift), upper(hi, 1/shift)}, {lower(lo, shift), upper(hi, shift)}}
}
