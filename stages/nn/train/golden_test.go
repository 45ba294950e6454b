package train

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

// The goldens are PyTorch autograd in float64 (testdata/make_goldens.py);
// tol is relative to the largest reference magnitude.
const tol = 1e-10

func read(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []float64
	if err := npyio.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func labels(t *testing.T, name string) []int {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []int64
	if err := npyio.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func closeRel(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol*scale) {
			t.Fatalf("%s[%d] = %.17g, torch %.17g", what, i, got[i], want[i])
		}
	}
}

// load sets the model's parameters to the case's torch weights <case>_<p><i>.
func load(t *testing.T, m *Model[float64], name, p string) {
	t.Helper()
	for i, q := range m.Params() {
		v := read(t, name+"_"+p+strconv.Itoa(i))
		if len(v) != len(q.Value) {
			t.Fatalf("%s: %s has %d values, torch %d", name, q.Name, len(q.Value), len(v))
		}
		copy(q.Value, v)
	}
}

// goldenModels builds the architectures of make_goldens.py.
func goldenModel(t *testing.T, name string) *Model[float64] {
	t.Helper()
	switch name {
	case "mlp", "atk":
		return NewMLP[float64](12, []int{16, 16}, 5)
	case "reg", "adam":
		return NewMLP[float64](10, []int{24}, 5)
	case "amsgrad", "nesterov":
		return NewMLP[float64](12, []int{16}, 5)
	case "cnn":
		m, err := NewCNN[float64](2, 15, 15, []int{3, 4}, []int{10}, 5)
		if err != nil {
			t.Fatal(err)
		}
		return m
	case "sgd":
		m, err := NewCNN[float64](1, 10, 10, []int{3}, []int{8}, 4)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Fatalf("no golden model %q", name)
	return nil
}

// regSpec is REG of make_goldens.py.
var regSpec = Spectral{Weight: 0.7, Slope: 1.5, Start: 3}

// lossGrad runs forward and backward on a batch with the mean
// cross-entropy, plus the spectral penalty in basis v when v is not nil,
// and returns logits, loss and the input gradient.
func lossGrad(m *Model[float64], x []float64, y []int, v *mat.Dense, needInput bool) ([]float64, float64, []float64) {
	n, k := len(y), m.Classes()
	logits := m.Forward(x, n)
	d := make([]float64, n*k)
	loss := CrossEntropy(logits, y, k, d)
	var dh []float64
	if v != nil {
		dh = make([]float64, n*m.HiddenSize())
		pen, _ := Penalty(regSpec, m.HiddenOutput(), n, m.HiddenSize(), Basis[float64](v), dh)
		loss += regSpec.Weight * pen
	}
	logits = append([]float64(nil), logits...)
	return logits, loss, m.Backward(d, dh, n, needInput)
}

func basisOf(t *testing.T, name string, d int) *mat.Dense {
	return mat.NewDense(d, d, read(t, name))
}

func TestForwardAndGradientsMatchTorch(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "reg"} {
		t.Run(name, func(t *testing.T) {
			m := goldenModel(t, name)
			load(t, m, name, "p")
			var v *mat.Dense
			if name == "reg" {
				v = basisOf(t, "reg_v", m.HiddenSize())
			}
			logits, loss, gx := lossGrad(m, read(t, name+"_x"), labels(t, name+"_y"), v, true)
			closeRel(t, "logits", logits, read(t, name+"_logits"))
			closeRel(t, "loss", []float64{loss}, read(t, name+"_loss"))
			for i, p := range m.Params() {
				closeRel(t, p.Name+" grad", p.Grad, read(t, name+"_g"+strconv.Itoa(i)))
			}
			closeRel(t, "input grad", gx, read(t, name+"_gx"))
		})
	}
}

// The penalty and sorted batch eigenvalues equal the reference's
// eigen_val_regulate, in torch's basis and in the basis Fit computes
// from the same training set (in chunks of 64 of its 200 samples) (the penalty does not depend on the signs
// of the eigenvectors, and these eigenvalues are distinct).
func TestSpectralPenaltyMatchesTorch(t *testing.T) {
	m := goldenModel(t, "reg")
	load(t, m, "reg", "p")
	d := m.HiddenSize()
	full := read(t, "reg_full")
	own, _, err := hiddenSpectrum(m, full, len(full)/m.InSize(), 64)
	if err != nil {
		t.Fatal(err)
	}
	x := read(t, "reg_x")
	n := len(x) / m.InSize()
	for name, v := range map[string]*mat.Dense{"torch basis": basisOf(t, "reg_v", d), "own basis": own} {
		m.Forward(x, n)
		pen, eigs := Penalty(regSpec, m.HiddenOutput(), n, d, Basis[float64](v), nil)
		closeRel(t, name+" penalty", []float64{pen}, read(t, "reg_penalty"))
		closeRel(t, name+" eigenvalues", eigs, read(t, "reg_eigs"))
	}
}

// Ten optimiser steps on fresh batches reproduce torch's weights: SGD
// with momentum and weight decay on a CNN, Adam with weight decay on an
// MLP trained with the spectral regulariser, AMSGrad with other betas and
// eps, and Nesterov SGD.
func TestOptimizerStepsMatchTorch(t *testing.T) {
	cases := []struct {
		name string
		opt  Optimizer[float64]
		lr   float64
		reg  bool
	}{
		{"sgd", &SGD[float64]{Momentum: 0.9, WeightDecay: 1e-3}, 0.05, false},
		{"adam", NewAdam[float64](1e-3, false), 0.01, true},
		{"amsgrad", &Adam[float64]{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, AMSGrad: true}, 0.01, false},
		{"nesterov", &SGD[float64]{Momentum: 0.8, WeightDecay: 1e-2, Nesterov: true}, 0.1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := goldenModel(t, c.name)
			load(t, m, c.name, "p")
			var v *mat.Dense
			if c.reg {
				v = basisOf(t, c.name+"_v", m.HiddenSize())
			}
			for s := range 10 {
				b := c.name + "_b" + strconv.Itoa(s)
				lossGrad(m, read(t, b+"_x"), labels(t, b+"_y"), v, false)
				c.opt.Step(m.Params(), c.lr)
			}
			for i, p := range m.Params() {
				closeRel(t, p.Name, p.Value, read(t, c.name+"_w"+strconv.Itoa(i)))
			}
		})
	}
}

// FGSM and PGD (L∞ and L2, from x itself) equal torch's examples.
func TestAttacksMatchTorch(t *testing.T) {
	m := goldenModel(t, "atk")
	load(t, m, "atk", "p")
	x, y := read(t, "atk_x"), labels(t, "atk_y")
	box := Box{0, 1}
	closeRel(t, "fgsm", m.FGSM(x, y, 0.1, box), read(t, "atk_fgsm"))
	closeRel(t, "pgd linf", m.PGD(x, x, y, "linf", 0.1, 0.03, 5, box), read(t, "atk_pgd_linf"))
	closeRel(t, "pgd l2", m.PGD(x, x, y, "l2", 0.5, 0.2, 5, box), read(t, "atk_pgd_l2"))
}

// The schedules give torch's StepLR and CosineAnnealingLR rates over 12
// epochs from base 0.1.
func TestSchedulesMatchTorch(t *testing.T) {
	for name, s := range map[string]Schedule{
		"lr_step":   {Kind: "step", Every: 5, Gamma: 0.3},
		"lr_cosine": {Kind: "cosine", Min: 1e-3},
	} {
		want := read(t, name)
		got := make([]float64, len(want))
		for e := range got {
			got[e] = s.LR(0.1, e, 12)
		}
		closeRel(t, name, got, want)
	}
}
