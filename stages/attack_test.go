package stages

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
)

// trainedUnit is an MLP trained on a planted problem squashed into [0, 1]
// (a logistic of each value), with held-out data.
func trainedUnit(t *testing.T) Inputs {
	t.Helper()
	in := trainInputs(t, "mlp-shallow")
	for _, k := range []string{"x", "x_val"} {
		x := in[k].(*ndarray.Array)
		for i, v := range x.F32 {
			x.F32[i] = float32(1 / (1 + math.Exp(-float64(v)/2)))
		}
	}
	out, err := trainStage{}.Run(context.Background(), nil, in, trainParams(8, Params{"reg_alpha": 0.0}))
	if err != nil {
		t.Fatal(err)
	}
	return Inputs{"model": out["model"], "x": in["x_val"], "y": in["y_val"]}
}

func runAttack(t *testing.T, in Inputs, p Params) Outputs {
	t.Helper()
	out, err := attack{}.Run(context.Background(), nil, in, withDefaults(attack{}, p))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// At ε = 0 every attack leaves the clean accuracy exactly; a large ε
// lowers it; PGD with random starts is the same bytes for any batch size
// and the same seed; the box and fgsm's norm are enforced.
func TestAttackStage(t *testing.T) {
	in := trainedUnit(t)
	eps := []float64{0, 0.02, 0.5}
	for _, p := range []Params{
		{"method": "fgsm", "eps": eps},
		{"method": "pgd", "norm": "linf", "eps": eps},
		{"method": "pgd", "norm": "l2", "eps": eps, "steps": 5},
		{"method": "pgd", "norm": "linf", "eps": eps, "random_start": true, "seed": 4},
		{"method": "pgd", "norm": "l2", "eps": eps, "random_start": true, "seed": 4},
	} {
		out := runAttack(t, in, p)
		acc, clean := out["accuracy"].(*ndarray.Array).F64, out["clean_accuracy"].(*ndarray.Array).F64[0]
		if acc[0] != clean || !(acc[2] < clean) || clean < 0.8 {
			t.Errorf("%v: accuracy %v, clean %v: want ε=0 equal to clean (≥ 0.8) and ε=0.5 below it", p, acc, clean)
		}
		if mean := out["mean_accuracy"].(*ndarray.Array); len(mean.Shape) != 0 || mean.F64[0] != (acc[0]+acc[1]+acc[2])/3 {
			t.Errorf("%v: mean_accuracy %v (shape %v), want the 0-d mean of %v", p, mean.F64, mean.Shape, acc)
		}
		if p["random_start"] == true {
			q := Params{"batch_size": 7}
			for k, v := range p {
				q[k] = v
			}
			if again := runAttack(t, in, q); again["accuracy"].Digest() != out["accuracy"].Digest() {
				t.Errorf("%v: batch size 7 changes the accuracies", p)
			}
		}
	}
	if err := (attack{}).Validate(withDefaults(attack{}, Params{"method": "fgsm", "norm": "l2", "eps": eps})); err == nil || !strings.Contains(err.Error(), `param "norm"`) {
		t.Errorf("fgsm with l2: error %v, want one naming param \"norm\"", err)
	}
	out := ndarray.NewF32(90, 16)
	out.F32[5] = 1.5
	bad := Inputs{"model": in["model"], "x": out, "y": in["y"]}
	if _, err := (attack{}).Run(context.Background(), nil, bad, withDefaults(attack{}, Params{"eps": eps})); err == nil || !strings.Contains(err.Error(), `input "x": value 1.5 at 5 outside the box [0, 1]`) {
		t.Errorf("x outside the box: error %v", err)
	}
}

// Projecting a layer at full rank keeps the clean accuracy, at rank 0
// predicts one class for every sample; the spectrum is that of
// WᵀW/C_out; the projection is idempotent and keeps W's top-r singular
// values; an unknown layer is refused with the available ones.
func TestWeightProject(t *testing.T) {
	in := trainedUnit(t)
	out, err := weightProject{}.Run(context.Background(), nil, in, withDefaults(weightProject{}, Params{"layer": "dense1", "ranks": []int{0, 3, 24}}))
	if err != nil {
		t.Fatal(err)
	}
	acc, clean := out["accuracy"].(*ndarray.Array).F64, out["clean_accuracy"].(*ndarray.Array).F64[0]
	counts := map[float64]bool{}
	for c := range 3 {
		n := 0
		for _, y := range in["y"].(*ndarray.Array).I64 {
			if int(y) == c {
				n++
			}
		}
		counts[float64(n)/90] = true
	}
	if acc[2] != clean || !counts[acc[0]] {
		t.Errorf("accuracy %v, clean %v: want full rank = clean and rank 0 = one class's share %v", acc, clean, counts)
	}
	w := in["model"].(*Model).Weights["dense1/kernel"]
	var cov mat.SymDense
	cov.SymOuterK(1/float64(w.Shape[0]), mat.NewDense(w.Shape[0], w.Shape[1], w.Float64s()).T())
	var eig mat.EigenSym
	eig.Factorize(&cov, false)
	want := eig.Values(nil)
	slices.Reverse(want)
	for i, v := range out["spectrum"].(*ndarray.Array).F64 {
		if math.Abs(v-want[i]) > 1e-12*(1+want[0]) {
			t.Fatalf("spectrum[%d] = %v, want %v", i, v, want[i])
		}
	}

	wv := w.Float64s()
	var svd mat.SVD
	svd.Factorize(mat.NewDense(3, 24, slices.Clone(wv)), mat.SVDThinV)
	var v mat.Dense
	svd.VTo(&v)
	p1, p2 := make([]float64, len(wv)), make([]float64, len(wv))
	projectRows(p1, wv, 3, 24, &v, 2)
	projectRows(p2, p1, 3, 24, &v, 2)
	var s1 mat.SVD
	s1.Factorize(mat.NewDense(3, 24, slices.Clone(p1)), mat.SVDNone)
	sv, sw := s1.Values(nil), svd.Values(nil)
	for i := range p1 {
		if math.Abs(p1[i]-p2[i]) > 1e-12 {
			t.Fatal("projecting twice differs from projecting once")
		}
	}
	if math.Abs(sv[0]-sw[0]) > 1e-12 || math.Abs(sv[1]-sw[1]) > 1e-12 || sv[2] > 1e-12 {
		t.Errorf("rank-2 projection has singular values %v, want %v then 0", sv, sw[:2])
	}
	_, err = weightProject{}.Run(context.Background(), nil, in, withDefaults(weightProject{}, Params{"layer": "conv9", "ranks": []int{1}}))
	if err == nil || !strings.Contains(err.Error(), `no dense or conv node "conv9"; want one of [dense0 dense1]`) {
		t.Errorf("unknown layer: error %v", err)
	}
}
