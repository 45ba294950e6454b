package stages

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

func randArray(rng *rand.Rand, shape ...int) *Array {
	a := NewF64(shape...)
	for i := range a.F64 {
		a.F64[i] = rng.NormFloat64()
	}
	return a
}

var alignDefaults = Params{"center": false, "standardize": false, "tau": 0.5, "p_value": 0.001, "top": 50}

// The same weights on the same input (A = I) share every eigenvector;
// independent random weights share none beyond chance.
func TestWeightAlignSameAndRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := randArray(rng, 64, 3, 3, 3)
	out, err := weightAlign{}.Run(context.Background(), Inputs{"w1": w, "w2": w}, alignDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_shared_diag"].(*Array).F64[0]; n != 27 {
		t.Errorf("identical weights share %v eigenvectors, want all 27", n)
	}
	out, err = weightAlign{}.Run(context.Background(), Inputs{"w1": w, "w2": randArray(rng, 64, 3, 3, 3)}, alignDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if n := out["n_shared_diag_ustar"].(*Array).F64[0]; n > 2 {
		t.Errorf("independent weights share %v eigenvectors at u*", n)
	}
}

func TestWeightAlignBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		in   Inputs
		want string
	}{
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 4, 3, 3)}, "without phi and psi the alignment is the identity, which needs equal input channels; w1 has 3, w2 has 4"},
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 3, 1, 1)}, `inputs "w1" and "w2" have 9 and 1 spatial taps per channel`},
		{Inputs{"w1": randArray(rng, 8, 3, 3, 3), "w2": randArray(rng, 8, 3, 3, 3), "phi": randArray(rng, 5, 4, 2, 2), "psi": randArray(rng, 5, 3, 2, 2)}, `input "phi": want N×3[×H×W] activations`},
		{Inputs{"w1": randArray(rng, 8, 3, 3), "w2": randArray(rng, 8, 3, 3)}, `input "w1": want C_out×C_in×k×k or C_out×D weights, got float64[8 3 3]`},
	}
	for _, tc := range tests {
		_, err := weightAlign{}.Run(context.Background(), tc.in, alignDefaults)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
}
