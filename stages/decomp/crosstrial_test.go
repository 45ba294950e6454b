package decomp_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// The cross-trial spectrum ½[Σ̂(X₁,Y₂) + Σ̂(X₂,Y₁)] per fold equals numpy's
// (two sklearn PLSSVD(scale=False) fits per fold, §3.7) to 1e-10 relative:
// two noisy repeats on both sides with random folds, a model (one x for
// both repeats, the Gram route) against a brain, and folds grouped by
// sklearn GroupKFold, which GroupFolds must reproduce.
func TestCrossTrialMatchesNumpy(t *testing.T) {
	for _, c := range []struct {
		name         string
		model, group bool
		route        string
	}{
		{"brain", false, false, "direct"}, {"model", true, false, "gram"}, {"grouped", false, true, "direct"},
	} {
		read := func(key string) *mat.Dense {
			return golden.Matrix(golden.Read(t, "testdata", "crosstrial_"+c.name+"_"+key))
		}
		r := decomp.Repeats{X1: read("x1"), Y1: read("y1"), Y2: read("y2")}
		r.X2 = r.X1
		if !c.model {
			r.X2 = read("x2")
		}
		labels := intLabels(golden.Read(t, "testdata", "crosstrial_"+c.name+"_folds").I64)
		var groups []int64
		if c.group {
			groups = golden.Read(t, "testdata", "crosstrial_grouped_groups").I64
			got, _, err := decomp.GroupFolds(groups, 4)
			if err != nil || !slices.Equal(got, labels) {
				t.Fatalf("grouped: GroupFolds = %v (%v), GroupKFold %v", got, err, labels)
			}
		}
		ct, err := decomp.FitCrossTrial(context.Background(), r, labels, groups, decomp.CrossOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ct.A.Fits[0].Route != c.route || (ct.A.Held[0].Groups != nil) != c.group {
			t.Errorf("%s: route %s, groups %v; want route %s, groups %v", c.name, ct.A.Fits[0].Route, ct.A.Held[0].Groups != nil, c.route, c.group)
		}
		_, dx := r.X1.Dims()
		_, dy := r.Y1.Dims()
		for _, m := range []struct {
			key    string
			metric decomp.Metric
		}{
			{"spec", decomp.Metric{Normalize: math.Sqrt(float64(dx * dy))}},
			{"recentered", decomp.Metric{Recenter: true}},
		} {
			want := golden.Read(t, "testdata", "crosstrial_"+c.name+"_"+m.key)
			if ct.K != want.Shape[1] {
				t.Fatalf("%s: K = %d, numpy %d", c.name, ct.K, want.Shape[1])
			}
			spectra, err := ct.Spectra(m.metric)
			if err != nil {
				t.Fatal(err)
			}
			for f, s := range spectra {
				golden.CloseRel(t, fmt.Sprintf("%s %s fold %d", c.name, m.key, f), s, want.F64[f*ct.K:(f+1)*ct.K], 1e-10)
			}
		}
	}
}

// repeatsPlanted returns two repeats of one system: a shared signal whose
// sample covariance is exactly diag(λ) on orthonormal axes of R^d (the
// planted pair of §3.10) plus independent isotropic noise of variance
// noise in each repeat.
func repeatsPlanted(rng *rand.Rand, n, d int, lam []float64, noise float64) (x1, x2 *mat.Dense) {
	q := spectral.Orthonormal(rng, d, len(lam), false)
	s, _ := planted(rng, n, lam, q, q)
	rep := func() *mat.Dense {
		x := mat.DenseCopyOf(s)
		for i, v := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = v + rng.NormFloat64()*math.Sqrt(noise)
		}
		return x
	}
	return rep(), rep()
}

func foldMean(spectra [][]float64) []float64 {
	out := make([]float64, len(spectra[0]))
	for _, s := range spectra {
		for k, v := range s {
			out[k] += v / float64(len(spectra))
		}
	}
	return out
}

// Planted recovery (§3.7, §1.4): two repeats share a signal with
// covariance spectrum λ_k = 4·0.6^k (rank 6 of 30 features) plus
// independent noise of variance σ². The cross-trial spectrum of the system
// against itself, pairings (X₁, X₂) and (X₂, X₁), is unbiased for λ: within
// 4 standard errors √((2λσ² + σ⁴)/n) of the noise cross terms at every
// planted rank, and ≈ 0 beyond it; the same-trial spectrum (X₁ against X₁,
// PCA) is inflated by about σ² at every rank.
func TestCrossTrialPlantedUnbiased(t *testing.T) {
	const n, d, rank = 2400, 30, 6
	lam := make([]float64, rank)
	for k := range lam {
		lam[k] = 4 * math.Pow(0.6, float64(k))
	}
	for _, c := range []struct {
		seed  uint64
		noise float64
	}{{1, 1}, {2, 0.5}, {3, 1}} {
		rng := rand.New(rand.NewPCG(c.seed, 15))
		x1, x2 := repeatsPlanted(rng, n, d, lam, c.noise)
		labels := decomp.FoldLabels(rng, n, 8)
		ct, err := decomp.FitCrossTrial(context.Background(), decomp.Repeats{X1: x1, X2: x2, Y1: x1, Y2: x2}, labels, nil, decomp.CrossOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spectra, err := ct.Spectra(decomp.Metric{})
		if err != nil {
			t.Fatal(err)
		}
		same, err := decomp.FitFolds(context.Background(), x1, x1, labels, nil, decomp.CrossOptions{Same: true})
		if err != nil {
			t.Fatal(err)
		}
		cross, inflated := foldMean(spectra), foldMean(same.Spectra(decomp.Metric{}))
		what := fmt.Sprintf("seed %d noise %g", c.seed, c.noise)
		for k, l := range lam {
			if se := math.Sqrt((2*l*c.noise + c.noise*c.noise) / n); math.Abs(cross[k]-l) > 4*se {
				t.Errorf("%s: cross-trial spectrum[%d] = %.3f, planted λ = %.3f", what, k, cross[k], l)
			}
			if inflated[k]-l < 0.6*c.noise {
				t.Errorf("%s: same-trial spectrum[%d] = %.3f is not inflated above λ = %.3f by the noise %g", what, k, inflated[k], l, c.noise)
			}
		}
		tail := func(s []float64) float64 { return floatsMean(s[rank:]) }
		if math.Abs(tail(cross)) > 0.02 || tail(inflated) < 0.8*c.noise {
			t.Errorf("%s: mean spectrum beyond the planted rank: cross-trial %.4f (want ≈ 0), same-trial %.4f (want ≈ noise %g)", what, tail(cross), tail(inflated), c.noise)
		}
	}
}

func floatsMean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x / float64(len(v))
	}
	return s
}

// With the second repeat equal to the first, both pairings are one fit,
// so the cross-trial spectrum and its resamplings equal the single
// pairing's exactly: the average halves the sum, and both pairings
// redraw the same rows for one seed.
func TestCrossTrialOneRepeatIsOnePairing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x, y := mat.NewDense(60, 7, nil), mat.NewDense(60, 5, nil)
	for _, m := range []*mat.Dense{x, y} {
		for i, v := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = v + rng.NormFloat64()
		}
	}
	groups := make([]int64, 60)
	for i := range groups {
		groups[i] = int64(i / 4)
	}
	labels, _, err := decomp.GroupFolds(groups, 5)
	if err != nil {
		t.Fatal(err)
	}
	ctx, m := context.Background(), decomp.Metric{Recenter: true}
	ct, err := decomp.FitCrossTrial(ctx, decomp.Repeats{X1: x, X2: x, Y1: y, Y2: y}, labels, groups, decomp.CrossOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := decomp.FitFolds(ctx, x, y, labels, groups, decomp.CrossOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := ct.Spectra(m)
	for f, want := range one.Spectra(m) {
		golden.CloseRel(t, fmt.Sprintf("fold %d", f), got[f], want, 1e-15)
	}
	for _, kind := range []decomp.Resampling{decomp.Permute, decomp.Bootstrap} {
		draws, err := ct.Resample(kind, m, 20, 9, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := decomp.Resample(one.Held, kind, m, 20, 9, 1)
		golden.CloseRel(t, fmt.Sprintf("resampling %d", kind), draws.RawMatrix().Data, want.RawMatrix().Data, 1e-15)
	}
}

// A correlation metric is refused: the two pairings' covariances are
// averaged before any ratio (§3.7); unequal repeats are refused too.
func TestCrossTrialRefuses(t *testing.T) {
	x := mat.NewDense(20, 3, nil)
	for i := range x.RawMatrix().Data {
		x.RawMatrix().Data[i] = float64(i*i%7) + float64(i%3)
	}
	labels := decomp.FoldLabels(rand.New(rand.NewPCG(1, 1)), 20, 4)
	ct, err := decomp.FitCrossTrial(context.Background(), decomp.Repeats{X1: x, X2: x, Y1: x, Y2: x}, labels, nil, decomp.CrossOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Spectra(decomp.Metric{Correlation: true, Recenter: true}); err == nil {
		t.Error("Spectra with a correlation metric: no error")
	}
	if _, err := ct.Resample(decomp.Permute, decomp.Metric{Correlation: true}, 3, 1, 1); err == nil {
		t.Error("Resample with a correlation metric: no error")
	}
	short := mat.DenseCopyOf(x.Slice(0, 19, 0, 3))
	if _, err := decomp.FitCrossTrial(context.Background(), decomp.Repeats{X1: x, X2: x, Y1: x, Y2: short}, labels, nil, decomp.CrossOptions{}); err == nil {
		t.Error("repeats of 20 and 19 rows: no error")
	}
}
