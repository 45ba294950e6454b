package stages

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// plantedSet is n samples of a planted k-class problem in d dimensions
// (unit Gaussians around fixed centres), as x (float32 n×d) and y (int64).
func plantedSet(seed uint64, n, d, k int) (*ndarray.Array, *ndarray.Array) {
	crng, rng := rand.New(rand.NewPCG(0, 0)), rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = 2 * crng.NormFloat64()
	}
	x, y := ndarray.NewF32(n, d), &ndarray.Array{Shape: []int{n}, I64: make([]int64, n)}
	for i := range n {
		c := rng.IntN(k)
		y.I64[i] = int64(c)
		for j := range d {
			x.F32[i*d+j] = float32(centres[c*d+j] + rng.NormFloat64())
		}
	}
	return x, y
}

func trainInputs(t testing.TB, arch string) Inputs {
	t.Helper()
	input := []int{16}
	if arch == "cnn" {
		input = []int{1, 6, 6}
	}
	out, err := initModel{}.Run(context.Background(), nil, nil,
		withDefaults(initModel{}, Params{"arch": arch, "input": input, "classes": 3, "hidden": []int{24}, "channels": []int{2}, "seed": 1}))
	if err != nil {
		t.Fatal(err)
	}
	x, y := plantedSet(1, 240, 36, 3)
	xv, yv := plantedSet(2, 90, 36, 3)
	if arch != "cnn" {
		x, y = plantedSet(1, 240, 16, 3)
		xv, yv = plantedSet(2, 90, 16, 3)
	}
	return Inputs{"model": out["model"], "x": x, "y": y, "x_val": xv, "y_val": yv}
}

func trainParams(epochs int, extra Params) Params {
	p := withDefaults(trainStage{}, Params{"epochs": epochs, "batch_size": 32, "lr": 0.01, "reg_alpha": 2.0, "reg_start": 1, "seed": 3})
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// memCheckpoints is a Checkpointer over encoded bytes, counting saves and
// failing the save of step failAt (a training killed before it).
type memCheckpoints struct {
	blobs  map[int][]byte
	saved  []int
	failAt int
}

var errKilled = errors.New("killed")

func (c *memCheckpoints) Load(step int) (Artifact, error) {
	b, ok := c.blobs[step]
	if !ok {
		return nil, nil
	}
	return ReadArtifact(bytes.NewReader(b), int64(len(b)))
}

func (c *memCheckpoints) Save(step int, a Artifact) error {
	if step == c.failAt {
		return errKilled
	}
	var buf bytes.Buffer
	if err := WriteArtifact(&buf, a); err != nil {
		return err
	}
	c.blobs[step] = buf.Bytes()
	c.saved = append(c.saved, step)
	return nil
}

func digests(out Outputs) map[string]ndarray.Digest {
	d := map[string]ndarray.Digest{}
	for k, a := range out {
		d[k] = a.Digest()
	}
	return d
}

func sameDigests(t *testing.T, what string, got, want Outputs) {
	t.Helper()
	g, w := digests(got), digests(want)
	for k := range w {
		if g[k] != w[k] {
			t.Errorf("%s: output %q differs from the straight run's", what, k)
		}
	}
}

// Training resumes from checkpoints bit for bit: (a) 2 epochs then 4
// gives the outputs of a straight 4-epoch run and the second execution
// trains (saves) only epochs 3 and 4; (b) a run killed when saving epoch
// 3 resumes from epoch 2 and ends with the straight run's bytes. Both for
// an MLP with Adam and a CNN with SGD + Nesterov, regulariser on.
func TestTrainResumesBitIdentical(t *testing.T) {
	for _, c := range []struct {
		arch  string
		extra Params
	}{
		{"mlp-shallow", nil},
		{"cnn", Params{"optimizer": "sgd", "momentum": 0.9, "nesterov": true, "schedule": "step", "gamma": 0.5}},
	} {
		t.Run(c.arch, func(t *testing.T) {
			in := trainInputs(t, c.arch)
			ctx := context.Background()
			straight, err := trainStage{}.Run(ctx, nil, in, trainParams(4, c.extra))
			if err != nil {
				t.Fatal(err)
			}
			cp := &memCheckpoints{blobs: map[int][]byte{}}
			if _, err := (trainStage{}).RunResumable(ctx, nil, in, trainParams(2, c.extra), cp); err != nil {
				t.Fatal(err)
			}
			cp.saved = nil
			resumed, err := trainStage{}.RunResumable(ctx, nil, in, trainParams(4, c.extra), cp)
			if err != nil {
				t.Fatal(err)
			}
			sameDigests(t, "2 then 4 epochs", resumed, straight)
			if len(cp.saved) != 2 || cp.saved[0] != 3 {
				t.Errorf("extending 2 → 4 epochs trained epochs %v, want [3 4]", cp.saved)
			}

			killed := &memCheckpoints{blobs: map[int][]byte{}, failAt: 3}
			if _, err := (trainStage{}).RunResumable(ctx, nil, in, trainParams(4, c.extra), killed); !errors.Is(err, errKilled) {
				t.Fatalf("killed run: error %v, want %v", err, errKilled)
			}
			killed.failAt, killed.saved = 0, nil
			again, err := trainStage{}.RunResumable(ctx, nil, in, trainParams(4, c.extra), killed)
			if err != nil {
				t.Fatal(err)
			}
			sameDigests(t, "killed after epoch 2, resumed", again, straight)
			if len(killed.saved) != 2 || killed.saved[0] != 3 {
				t.Errorf("the resumed run trained epochs %v, want [3 4]", killed.saved)
			}
		})
	}
}

// Only params that change the states enter the resume key: epochs leaves
// it unchanged except under the cosine schedule.
func TestTrainResumeParams(t *testing.T) {
	for _, c := range []struct {
		schedule string
		same     bool
	}{{"constant", true}, {"step", true}, {"cosine", false}} {
		a := trainStage{}.ResumeParams(trainParams(2, Params{"schedule": c.schedule}))
		b := trainStage{}.ResumeParams(trainParams(4, Params{"schedule": c.schedule}))
		if same := strings.Join(a.Canonical(), ",") == strings.Join(b.Canonical(), ","); same != c.same {
			t.Errorf("schedule %s: 2 and 4 epochs share a resume key: %v, want %v", c.schedule, same, c.same)
		}
	}
}

// The stage learns the planted classes and refuses bad inputs, naming them.
func TestTrainStage(t *testing.T) {
	in := trainInputs(t, "mlp-deep")
	out, err := trainStage{}.Run(context.Background(), nil, in, trainParams(6, Params{"reg_alpha": 0.0}))
	if err != nil {
		t.Fatal(err)
	}
	if acc := out["val_accuracy"].(*ndarray.Array).F64[0]; acc < 0.9 {
		t.Errorf("val accuracy %v on a planted problem, want ≥ 0.9", acc)
	}
	if c := out["curve"].(*ndarray.Array); c.Shape[0] != 6 || c.Shape[1] != 6 {
		t.Errorf("curve %v, want 6 epochs × 6 columns", c.Shape)
	}
	conv6 := runInit(t, initParams("convnet6", 0, 0, "exact"))
	bad := func(k string, v Artifact) Inputs {
		b := Inputs{}
		for n, a := range in {
			b[n] = a
		}
		b[k] = v
		return b
	}
	for _, c := range []struct {
		in   Inputs
		want string
	}{
		{bad("model", conv6), `arch "convnet6" is not trainable`},
		{bad("y", ndarray.NewF64(240)), `input "y": float64[240], want int64[240]`},
		{bad("x", ndarray.NewF64(240, 5)), `input "x": float64[240 5], want N samples of 16 values`},
		{bad("y_val", &ndarray.Array{Shape: []int{89}, I64: make([]int64, 89)}), `input "y_val": int64[89], want int64[90]`},
		{bad("y", &ndarray.Array{Shape: []int{240}, I64: append(make([]int64, 239), 7)}), `input "y": label 7 of sample 239, want 0…2`},
	} {
		if _, err := (trainStage{}).Run(context.Background(), nil, c.in, trainParams(1, nil)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// dtype sets the type the model trains and is stored in, and float32
// training reads a float32 x in place (no float64 copy).
func TestTrainDType(t *testing.T) {
	in := trainInputs(t, "cnn")
	for _, dt := range []ndarray.DType{ndarray.Float32, ndarray.Float64} {
		out, err := trainStage{}.Run(context.Background(), nil, in, trainParams(1, Params{"dtype": string(dt)}))
		if err != nil {
			t.Fatal(err)
		}
		m := out["model"].(*Model)
		for name, w := range m.Weights {
			if w.DType() != dt {
				t.Errorf("dtype %s: weight %q is %s", dt, name, w.DType())
			}
		}
		if got := out["info"].(ndarray.Record)["dtype"]; got != string(dt) {
			t.Errorf("dtype %s: info dtype %v", dt, got)
		}
	}
	m, err := trainableModel[float32](in["model"].(*Model))
	if err != nil {
		t.Fatal(err)
	}
	x := in["x"].(*ndarray.Array)
	x32 := &ndarray.Array{Shape: x.Shape, F32: make([]float32, x.Len())}
	d, err := labelled(Inputs{"x": x32, "y": in["y"]}, "x", "y", m)
	if err != nil {
		t.Fatal(err)
	}
	if &d.X[0] != &x32.F32[0] {
		t.Errorf("float32 training copied its float32 x")
	}
}
