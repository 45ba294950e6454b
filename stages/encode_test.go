package stages

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

var encodeDefaults = Params{"n_folds": 5, "alphas": []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}, "selection": "pearson", "seed": 0}

// §6.5: with Y = XB + σE the test Pearson r approaches
// √(Var(XB)/(Var(XB)+σ²)); pure-noise targets score near 0 and get the
// largest penalties.
func TestEncodePlantedSNR(t *testing.T) {
	const n, p = 1000, 20
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := ndarray.NewF64(n, p), ndarray.NewF64(n, 2)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < p; j++ {
			x.F64[i*p+j] = rng.NormFloat64()
			s += x.F64[i*p+j] / math.Sqrt(p) // Var(XB) = 1
		}
		y.F64[i*2] = s + rng.NormFloat64()   // σ = 1: r → √(1/2)
		y.F64[i*2+1] = 3 * rng.NormFloat64() // noise only
	}
	out, err := encode{}.Run(context.Background(), nil, Inputs{"x": x, "y": y}, encodeDefaults)
	if err != nil {
		t.Fatal(err)
	}
	r := out["r"].(*ndarray.Array).F64
	if math.Abs(r[0]-math.Sqrt(0.5)) > 0.05 || math.Abs(r[1]) > 0.1 {
		t.Errorf("r = %.3f (want %.3f ± 0.05), noise r = %.3f (want ≈ 0)", r[0], math.Sqrt(0.5), r[1])
	}
	mse := Params{}
	for k, v := range encodeDefaults {
		mse[k] = v
	}
	mse["selection"] = "mse"
	out, err = encode{}.Run(context.Background(), nil, Inputs{"x": x, "y": y}, mse)
	if err != nil {
		t.Fatal(err)
	}
	alpha := out["alpha"].(*ndarray.Array)
	if alpha.F64[0] >= alpha.F64[1] {
		t.Errorf("fold 0 penalties (MSE selection): signal %g, noise %g; want the noise target penalised more", alpha.F64[0], alpha.F64[1])
	}
}

func TestEncodeBadInput(t *testing.T) {
	for _, tc := range []struct {
		in   Inputs
		want string
	}{
		{Inputs{"x": ndarray.NewF64(10, 3), "y": ndarray.NewF64(9, 2)}, `inputs "x" and "y" must have one row per stimulus in the same order: x has 10 rows, y has 9`},
		{Inputs{"x": ndarray.NewF64(10, 3), "y": ndarray.NewF64(10, 2), "groups": ndarray.Ints(0, 0, 1, 1, 2, 2, 3, 3, 4, 4), "folds": ndarray.Ints(make([]int, 10)...)}, `inputs "folds" and "groups" are both given: remove "folds" to make group k-fold folds from the groups, or remove "groups" to use the supplied fold labels as they are`},
		{Inputs{"x": ndarray.NewF64(10, 3), "y": ndarray.NewF64(10, 2), "groups": ndarray.Ints(0, 0, 1, 1, 2, 2, 3, 3, 4, 4)}, `input "groups": fold 0 has 2 test and 8 train rows; want at least 3 of each in every fold 0..4`},
	} {
		_, err := encode{}.Run(context.Background(), nil, tc.in, encodeDefaults)
		if err == nil || err.Error() != tc.want {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
}

// The headline scores per fold: mean_r_folds and median_r_folds are each
// fold's mean and median of r_folds over targets; mean_r is the mean of
// mean_r_folds and the centre of mean_r_ci; each interval is foldCI of its
// folds (the t-interval checked against scipy in TestCrossdecompTotalCI)
// and contains its mean; info says the folds were random.
func TestEncodeFoldScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, p, targets = 200, 8, 5
	x, y := ndarray.NewF64(n, p), ndarray.NewF64(n, targets)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			x.F64[i*p+j] = rng.NormFloat64()
		}
		for tg := 0; tg < targets; tg++ {
			y.F64[i*targets+tg] = x.F64[i*p+tg]*float64(tg)/4 + rng.NormFloat64()
		}
	}
	out, err := encode{}.Run(context.Background(), nil, Inputs{"x": x, "y": y}, encodeDefaults)
	if err != nil {
		t.Fatal(err)
	}
	rFolds := out["r_folds"].(*ndarray.Array)
	nf := rFolds.Shape[0]
	for _, s := range []struct {
		name string
		of   func([]float64) float64
	}{
		{"mean_r", func(v []float64) float64 { m, _ := meanMedian(v); return m }},
		{"median_r", func(v []float64) float64 { _, m := meanMedian(v); return m }},
	} {
		folds := out[s.name+"_folds"].(*ndarray.Array).F64
		if len(folds) != nf {
			t.Fatalf("%s_folds has %d values, want %d", s.name, len(folds), nf)
		}
		for f := range folds {
			if want := s.of(rFolds.F64[f*targets : (f+1)*targets]); folds[f] != want {
				t.Errorf("%s_folds[%d] = %v, want %v", s.name, f, folds[f], want)
			}
		}
		ci := out[s.name+"_ci"].(*ndarray.Array).F64
		if want := foldCI(folds).F64; ci[0] != want[0] || ci[1] != want[1] {
			t.Errorf("%s_ci = %v, want %v", s.name, ci, want)
		}
		if m, _ := meanMedian(folds); !(ci[0] < m && m < ci[1]) {
			t.Errorf("%s_ci %v does not contain the fold mean %v", s.name, ci, m)
		}
	}
	mean, ci := out["mean_r"].(*ndarray.Array).F64[0], out["mean_r_ci"].(*ndarray.Array).F64
	if m, _ := meanMedian(out["mean_r_folds"].(*ndarray.Array).F64); math.Abs(m-mean) > 1e-12 || math.Abs((ci[0]+ci[1])/2-mean) > 1e-12 {
		t.Errorf("mean_r %v: fold mean %v, CI centre %v", mean, m, (ci[0]+ci[1])/2)
	}
	if out["info"].(ndarray.Record)["folds"] != "random" {
		t.Errorf("info %v: want folds random", out["info"])
	}
}
