package stages

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decompGolden(t *testing.T, name string) *Array {
	t.Helper()
	f, err := os.Open(filepath.Join("decomp", "testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ReadNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func crossParams(p Params) Params {
	full := Params{"n_folds": 8, "metric": "covariance", "normalize": true, "recenter_test": false,
		"n_permutations": 0, "n_bootstraps": 0, "bins_per_decade": 3, "seed": 0}
	for k, v := range p {
		full[k] = v
	}
	return full
}

// Per-fold spectra equal sklearn PLSSVD(scale=False) on the same folds
// (§3.8), for n ≫ p, p ≫ n (the Gram route) and the PCA case X = Y.
func TestCrossdecompMatchesSklearnPLSSVD(t *testing.T) {
	for _, c := range []string{"tall", "wide", "pca"} {
		in := Inputs{"x": decompGolden(t, "cross_"+c+"_x"), "y": decompGolden(t, "cross_"+c+"_y"), "folds": decompGolden(t, "cross_"+c+"_folds")}
		out, err := crossdecomp{}.Run(context.Background(), in, crossParams(Params{"n_components": 8}))
		if err != nil {
			t.Fatal(err)
		}
		got, want := out["spectrum_folds"].(*Array).F64, decompGolden(t, "cross_"+c+"_spec").F64
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-10*math.Abs(want[0]) {
				t.Fatalf("%s: spectrum_folds[%d] = %.17g, sklearn %.17g", c, i, got[i], want[i])
			}
		}
	}
}

func TestCrossdecompSymmetric(t *testing.T) {
	x, y := decompGolden(t, "cross_tall_x"), decompGolden(t, "cross_tall_y")
	f := decompGolden(t, "cross_tall_folds")
	a, err1 := crossdecomp{}.Run(context.Background(), Inputs{"x": x, "y": y, "folds": f}, crossParams(Params{"n_components": 8}))
	b, err2 := crossdecomp{}.Run(context.Background(), Inputs{"x": y, "y": x, "folds": f}, crossParams(Params{"n_components": 8}))
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	sa, sb := a["spectrum"].(*Array).F64, b["spectrum"].(*Array).F64
	for i := range sa {
		if math.Abs(sa[i]-sb[i]) > 1e-12*math.Abs(sa[0]) {
			t.Errorf("component %d: %g vs %g after swapping x and y", i, sa[i], sb[i])
		}
	}
}

// With noise only beyond the planted rank, the permutation null centres on
// zero and the bootstrap interval contains the estimate.
func TestCrossdecompNullAndBootstrap(t *testing.T) {
	x, y := decompGolden(t, "cross_tall_x"), decompGolden(t, "cross_tall_y")
	out, err := crossdecomp{}.Run(context.Background(), Inputs{"x": x, "y": y},
		crossParams(Params{"n_folds": 4, "n_components": 8, "n_permutations": 200, "n_bootstraps": 200}))
	if err != nil {
		t.Fatal(err)
	}
	spec := out["spectrum"].(*Array).F64
	null := out["null_quantiles"].(*Array)
	binned := out["binned"].(*Array)
	if binned.F64[1] <= null.F64[2] { // first bin mean vs its 99.7% null quantile
		t.Errorf("leading bin %.4g not above its 99.7%% null %.4g", binned.F64[1], null.F64[2])
	}
	ci := out["bootstrap_ci"].(*Array).F64
	if !(ci[0] <= spec[0] && spec[0] <= ci[1]) {
		t.Errorf("component 1: %.4g outside its bootstrap interval [%.4g, %.4g]", spec[0], ci[0], ci[1])
	}
}

func TestCrossdecompBadInput(t *testing.T) {
	x := decompGolden(t, "cross_tall_x")
	short := NewF64(10, 3)
	tests := []struct {
		in   Inputs
		p    Params
		want string
	}{
		{Inputs{"x": x, "y": short}, nil, `inputs "x" and "y" must have one row per stimulus in the same order: x has 80 rows, y has 10`},
		{Inputs{"x": short, "y": short}, Params{"n_folds": 8}, `param "n_folds": 8 folds need at least 16 samples (2 per test fold), x has 10`},
		{Inputs{"x": x, "y": x}, Params{"n_folds": 4, "n_components": 99}, `param "n_components": 99 exceeds min(n_train-1, dX, dY) = 30`},
	}
	for _, tc := range tests {
		_, err := crossdecomp{}.Run(context.Background(), tc.in, crossParams(tc.p))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
}
