package stages

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

var encodeDefaults = Params{"n_folds": 5, "alphas": []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}, "selection": "pearson", "seed": 0}

// §6.5: with Y = XB + σE the test Pearson r approaches
// √(Var(XB)/(Var(XB)+σ²)); pure-noise targets score near 0 and get the
// largest penalties.
func TestEncodePlantedSNR(t *testing.T) {
	const n, p = 1000, 20
	rng := rand.New(rand.NewPCG(9, 9))
	x, y := NewF64(n, p), NewF64(n, 2)
	for i := 0; i < n; i++ {
		s := 0.0
		for j := 0; j < p; j++ {
			x.F64[i*p+j] = rng.NormFloat64()
			s += x.F64[i*p+j] / math.Sqrt(p) // Var(XB) = 1
		}
		y.F64[i*2] = s + rng.NormFloat64()   // σ = 1: r → √(1/2)
		y.F64[i*2+1] = 3 * rng.NormFloat64() // noise only
	}
	out, err := encode{}.Run(context.Background(), Inputs{"x": x, "y": y}, encodeDefaults)
	if err != nil {
		t.Fatal(err)
	}
	r := out["r"].(*Array).F64
	if math.Abs(r[0]-math.Sqrt(0.5)) > 0.05 || math.Abs(r[1]) > 0.1 {
		t.Errorf("r = %.3f (want %.3f ± 0.05), noise r = %.3f (want ≈ 0)", r[0], math.Sqrt(0.5), r[1])
	}
	mse := Params{}
	for k, v := range encodeDefaults {
		mse[k] = v
	}
	mse["selection"] = "mse"
	out, err = encode{}.Run(context.Background(), Inputs{"x": x, "y": y}, mse)
	if err != nil {
		t.Fatal(err)
	}
	alpha := out["alpha"].(*Array)
	if alpha.F64[0] >= alpha.F64[1] {
		t.Errorf("fold 0 penalties (MSE selection): signal %g, noise %g; want the noise target penalised more", alpha.F64[0], alpha.F64[1])
	}
}

func TestEncodeBadInput(t *testing.T) {
	_, err := encode{}.Run(context.Background(), Inputs{"x": NewF64(10, 3), "y": NewF64(9, 2)}, encodeDefaults)
	if err == nil || err.Error() != `inputs "x" and "y" must have one row per stimulus in the same order: x has 10 rows, y has 9` {
		t.Errorf("err = %v", err)
	}
}
