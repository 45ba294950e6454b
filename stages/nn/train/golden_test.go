package train

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"codeberg.org/sbinet/npyio"
)

// The goldens are PyTorch autograd (testdata/make_goldens.py), in float64
// and, prefixed f32_, in float32; tolOf is relative to the largest
// reference magnitude.
func tolOf[T Float]() float64 {
	if prefixOf[T]() != "" {
		return 1e-5
	}
	return 1e-10
}

// prefixOf is the golden file prefix of T.
func prefixOf[T Float]() string {
	if _, ok := any(T(0)).(float32); ok {
		return "f32_"
	}
	return ""
}

// read loads testdata/<name>.npy in T (f32_ goldens are stored float32).
func read[T Float](t *testing.T, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []T
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

func closeRel[T Float](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, tol := 0.0, tolOf[T]()
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if !(math.Abs(float64(got[i])-float64(want[i])) <= tol*scale) {
			t.Fatalf("%s[%d] = %.17g, torch %.17g", what, i, got[i], want[i])
		}
	}
}

// load sets the model's parameters to the case's torch weights <case>_<p><i>.
func load[T Float](t *testing.T, m *Model[T], name, p string) {
	t.Helper()
	for i, q := range m.Params() {
		v := read[T](t, name+"_"+p+strconv.Itoa(i))
		if len(v) != len(q.Value) {
			t.Fatalf("%s: %s has %d values, torch %d", name, q.Name, len(q.Value), len(v))
		}
		copy(q.Value, v)
	}
}

// goldenModels builds the architectures of make_goldens.py.
func goldenModel[T Float](t *testing.T, name string) *Model[T] {
	t.Helper()
	switch name {
	case "mlp", "atk":
		return NewMLP[T](12, []int{16, 16}, 5)
	case "reg", "adam":
		return NewMLP[T](10, []int{24}, 5)
	case "amsgrad", "nesterov":
		return NewMLP[T](12, []int{16}, 5)
	case "cnn":
		m, err := NewCNN[T](2, 15, 15, []int{3, 4}, []int{10}, 5)
		if err != nil {
			t.Fatal(err)
		}
		return m
	case "sgd":
		m, err := NewCNN[T](1, 10, 10, []int{3}, []int{8}, 4)
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
func lossGrad[T Float](m *Model[T], x []T, y []int, v []T, needInput bool) ([]T, float64, []T) {
	n, k := len(y), m.Classes()
	logits := m.Forward(x, n)
	d := make([]T, n*k)
	loss := CrossEntropy(logits, y, k, d)
	var dh []T
	if v != nil {
		dh = make([]T, n*m.HiddenSize())
		pen, _ := Penalty(regSpec, m.HiddenOutput(), n, m.HiddenSize(), v, dh)
		loss += regSpec.Weight * pen
	}
	logits = append([]T(nil), logits...)
	return logits, loss, m.Backward(d, dh, n, needInput)
}

// forEachDType runs test in float64 and in float32 against their goldens.
func forEachDType(t *testing.T, f64, f32 func(*testing.T)) {
	t.Run("float64", f64)
	t.Run("float32", f32)
}

func TestForwardAndGradientsMatchTorch(t *testing.T) {
	forEachDType(t, forwardAndGradients[float64], forwardAndGradients[float32])
}

func forwardAndGradients[T Float](t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "reg"} {
		t.Run(name, func(t *testing.T) {
			m := goldenModel[T](t, name)
			file := prefixOf[T]() + name
			load(t, m, file, "p")
			var v []T
			if name == "reg" {
				v = read[T](t, file+"_v")
			}
			logits, loss, gx := lossGrad(m, read[T](t, file+"_x"), labels(t, file+"_y"), v, true)
			closeRel(t, "logits", logits, read[T](t, file+"_logits"))
			closeRel(t, "loss", []T{T(loss)}, read[T](t, file+"_loss"))
			for i, p := range m.Params() {
				closeRel(t, p.Name+" grad", p.Grad, read[T](t, file+"_g"+strconv.Itoa(i)))
			}
			closeRel(t, "input grad", gx, read[T](t, file+"_gx"))
		})
	}
}

// The penalty and sorted batch eigenvalues equal the reference's
// eigen_val_regulate, in torch's basis and in the basis Fit computes
// from the same training set (in chunks of 64 of its 200 samples) (the
// penalty does not depend on the signs of the eigenvectors, and these
// eigenvalues are distinct).
func TestSpectralPenaltyMatchesTorch(t *testing.T) {
	forEachDType(t, spectralPenalty[float64], spectralPenalty[float32])
}

func spectralPenalty[T Float](t *testing.T) {
	m := goldenModel[T](t, "reg")
	file := prefixOf[T]() + "reg"
	load(t, m, file, "p")
	d := m.HiddenSize()
	full := read[T](t, file+"_full")
	own, _, err := hiddenSpectrum(m, full, len(full)/m.InSize(), 64)
	if err != nil {
		t.Fatal(err)
	}
	x := read[T](t, file+"_x")
	n := len(x) / m.InSize()
	for name, v := range map[string][]T{"torch basis": read[T](t, file+"_v"), "own basis": Basis[T](own)} {
		m.Forward(x, n)
		pen, eigs := Penalty(regSpec, m.HiddenOutput(), n, d, v, nil)
		closeRel(t, name+" penalty", []T{T(pen)}, read[T](t, file+"_penalty"))
		closeRel(t, name+" eigenvalues", convert[T](eigs), read[T](t, file+"_eigs"))
	}
}

// Ten optimiser steps on fresh batches reproduce torch's weights: SGD
// with momentum and weight decay on a CNN, Adam with weight decay on an
// MLP trained with the spectral regulariser, AMSGrad with other betas and
// eps, and Nesterov SGD.
func TestOptimizerStepsMatchTorch(t *testing.T) {
	forEachDType(t, optimizerSteps[float64], optimizerSteps[float32])
}

func optimizerSteps[T Float](t *testing.T) {
	cases := []struct {
		name string
		opt  Optimizer[T]
		lr   float64
		reg  bool
	}{
		{"sgd", &SGD[T]{Momentum: 0.9, WeightDecay: 1e-3}, 0.05, false},
		{"adam", NewAdam[T](1e-3, false), 0.01, true},
		{"amsgrad", &Adam[T]{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, AMSGrad: true}, 0.01, false},
		{"nesterov", &SGD[T]{Momentum: 0.8, WeightDecay: 1e-2, Nesterov: true}, 0.1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := goldenModel[T](t, c.name)
			file := prefixOf[T]() + c.name
			load(t, m, file, "p")
			var v []T
			if c.reg {
				v = read[T](t, file+"_v")
			}
			for s := range 10 {
				b := file + "_b" + strconv.Itoa(s)
				lossGrad(m, read[T](t, b+"_x"), labels(t, b+"_y"), v, false)
				c.opt.Step(m.Params(), c.lr)
			}
			for i, p := range m.Params() {
				closeRel(t, p.Name, p.Value, read[T](t, file+"_w"+strconv.Itoa(i)))
			}
		})
	}
}

// FGSM and PGD (L∞ and L2, from x itself) equal torch's examples.
func TestAttacksMatchTorch(t *testing.T) {
	m := goldenModel[float64](t, "atk")
	load(t, m, "atk", "p")
	x, y := read[float64](t, "atk_x"), labels(t, "atk_y")
	box := Box{0, 1}
	closeRel(t, "fgsm", m.FGSM(x, y, 0.1, box), read[float64](t, "atk_fgsm"))
	closeRel(t, "pgd linf", m.PGD(x, x, y, "linf", 0.1, 0.03, 5, box), read[float64](t, "atk_pgd_linf"))
	closeRel(t, "pgd l2", m.PGD(x, x, y, "l2", 0.5, 0.2, 5, box), read[float64](t, "atk_pgd_l2"))
}

// The schedules give torch's StepLR and CosineAnnealingLR rates over 12
// epochs from base 0.1.
func TestSchedulesMatchTorch(t *testing.T) {
	for name, s := range map[string]Schedule{
		"lr_step":   {Kind: "step", Every: 5, Gamma: 0.3},
		"lr_cosine": {Kind: "cosine", Min: 1e-3},
	} {
		want := read[float64](t, name)
		got := make([]float64, len(want))
		for e := range got {
			got[e] = s.LR(0.1, e, 12)
		}
		closeRel(t, name, got, want)
	}
}
