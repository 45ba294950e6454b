package stages

import (
	"context"
	"fmt"
	"maps"
	"math"
	"runtime"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn"
	"github.com/eigenlab/eigenlab/stages/nn/train"
)

// trainStage trains a model from init (or any model whose graph package
// stages/nn/train can rebuild) on labelled data, with the spectral
// regulariser of METHODS.md §4 when reg_alpha > 0. It is Resumable: the
// runner keeps the state after every epoch, so more epochs continue fewer.
type trainStage struct{}

func init() { Register(trainStage{}) }

func (trainStage) Kind() string    { return "train" }
func (trainStage) Version() string { return "2" }

// curveColumns name the columns of the curve output.
var curveColumns = []string{"loss", "train_acc", "val_acc", "reg", "alpha", "lr"}

func (trainStage) Doc() string {
	return `Trains a model (from init; powerlaw_init's convnet6/resnet-small are refused:
package train has no batch-norm or padding gradients) on x (N samples, each of
the model's input size; an MLP flattens them) and y (int64 labels 0…classes−1)
with softmax cross-entropy, as PyTorch would (stages/nn/train), in dtype
(float32 by default, as PyTorch; the trained model's weights are stored in it).
Epoch e visits the data in a permutation drawn from seed and e, in batches of
batch_size. With reg_alpha > 0 the last hidden layer's spectrum is pulled to
λ_n ∝ n^-reg_alpha from rank reg_start on (METHODS.md §4, Nassar et al.'s
eigenvalue regulariser, weight reg_weight; basis recomputed from the whole
training set each epoch). Outputs: model (trained); curve (epochs × 6:
loss, train_acc, val_acc, reg, alpha, lr; alpha is the measured exponent of
the hidden layer's training-set spectrum after the epoch, ols-range over
0-based ranks reg_start+1…D−1, NaN when not fitted; val_acc NaN without
x_val); val_accuracy and alpha after the last epoch (scalars); info.
Cached, extendable: the runner keeps the training state after each epoch,
so raising epochs (10 → 20) trains only the new epochs and a killed run
resumes from its last finished epoch, byte-identical to one straight run
(not with schedule cosine, whose rates depend on epochs).`
}

func (trainStage) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "optimizer", Type: String, Default: "adam", Choices: []string{"sgd", "adam"}, Doc: "torch.optim.SGD or torch.optim.Adam"},
		{Name: "lr", Type: Float, Default: 1e-3, Min: Bound(0), Doc: "base learning rate"},
		{Name: "momentum", Type: Float, Default: 0.0, Min: Bound(0), Max: Bound(1), Doc: "sgd only: momentum"},
		{Name: "nesterov", Type: Bool, Default: false, Doc: "sgd only: Nesterov momentum"},
		{Name: "weight_decay", Type: Float, Default: 0.0, Min: Bound(0), Doc: "L2 penalty added to the gradient (torch's weight_decay)"},
		{Name: "amsgrad", Type: Bool, Default: true, Doc: "adam only: AMSGrad (the reference code trains with it)"},
		{Name: "schedule", Type: String, Default: "constant", Choices: train.Schedules, Doc: "per-epoch rate: constant, step (lr·gamma^⌊e/step_every⌋) or cosine (to 0 over epochs)"},
		{Name: "step_every", Type: Int, Default: 1, Min: Bound(1), Doc: "schedule step: epochs between decays"},
		{Name: "gamma", Type: Float, Default: 0.1, Min: Bound(0), Doc: "schedule step: decay factor"},
		{Name: "batch_size", Type: Int, Default: 128, Min: Bound(2), Doc: "samples per batch"},
		{Name: "epochs", Type: Int, Default: 10, Min: Bound(1), Doc: "passes over x"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "seed of the batch order"},
		{Name: "reg_alpha", Type: Float, Default: 0.0, Min: Bound(0), Doc: "target exponent of the hidden spectrum; 0 trains without the regulariser"},
		{Name: "reg_weight", Type: Float, Default: 1.0, Min: Bound(0), Doc: "weight of the spectral penalty in the loss"},
		{Name: "dtype", Type: String, Default: "float32", Choices: []string{"float32", "float64"},
			Doc: "element type of the training: float32 (PyTorch's default; half the memory, about twice the rate; x is read without a float64 copy) or float64 (equal to PyTorch float64 to 1e-10)"},
		{Name: "reg_start", Type: Int, Default: 10, Min: Bound(0), Doc: "0-based rank the target is anchored at (the reference's eig_start); also sets the α fit range"},
	}
}

func (trainStage) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "model", Doc: "the network to train (init)"},
		{Name: "x", Doc: "training samples, N × input shape"},
		{Name: "y", Doc: "training labels, int64 N"},
		{Name: "x_val", Optional: true, Doc: "validation samples"},
		{Name: "y_val", Optional: true, Doc: "validation labels, int64"},
	}
}

func (trainStage) Outputs(Params) []string {
	return []string{"model", "curve", "val_accuracy", "alpha", "info"}
}

func (trainStage) Resources(Params) Resources {
	return Resources{Threads: runtime.NumCPU(), MemBytes: 1 << 30}
}

// ResumeParams implements Resumable: epochs leaves the states of earlier
// epochs unchanged, except under the cosine schedule.
func (trainStage) ResumeParams(p Params) Params {
	q := maps.Clone(p)
	if p.String("schedule") != "cosine" {
		delete(q, "epochs")
	}
	return q
}

func (s trainStage) Run(ctx context.Context, scratch *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	return s.RunResumable(ctx, scratch, in, p, nil)
}

// RunResumable implements Resumable: it starts from the latest state cp
// holds within epochs and saves the state after each epoch.
func (trainStage) RunResumable(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params, cp Checkpointer) (Outputs, error) {
	if p.String("dtype") == "float32" {
		return trainAs[float32](ctx, in, p, cp)
	}
	return trainAs[float64](ctx, in, p, cp)
}

// trainAs is RunResumable in element type T.
func trainAs[T train.Float](ctx context.Context, in Inputs, p Params, cp Checkpointer) (Outputs, error) {
	src, err := in.Model("model")
	if err != nil {
		return nil, err
	}
	m, err := trainableModel[T](src)
	if err != nil {
		return nil, err
	}
	tr, err := labelled(in, "x", "y", m)
	if err != nil {
		return nil, err
	}
	var val train.Data[T]
	if in["x_val"] != nil || in["y_val"] != nil {
		if val, err = labelled(in, "x_val", "y_val", m); err != nil {
			return nil, err
		}
	}
	cfg := trainConfig[T](p)
	done, err := resumeFrom(cp, cfg, m, src.Arch.Name)
	if err != nil {
		return nil, err
	}
	curve, err := train.Resume(m, cfg, tr, val, done, func(c []train.Epoch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cp == nil {
			return nil
		}
		return cp.Save(len(c), trainState(m, cfg.Optimizer, c, src.Arch.Name))
	})
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return trainOutputs(m, src.Arch.Name, curve, cfg, tr.N(), val.N()), nil
}

// trainableModel rebuilds src as a package train model in T, naming src's
// arch when it is not one package train can train.
func trainableModel[T train.Float](src *Model) (*train.Model[T], error) {
	ws := make(map[string]nn.Tensor, len(src.Weights))
	for name, a := range src.Weights {
		if a.DType() == ndarray.Int64 {
			return nil, fmt.Errorf("input \"model\": weight %q is %s; want float32 or float64", name, a.Describe())
		}
		ws[name] = nn.Tensor{Shape: a.Shape, Data: a.Float64s()}
	}
	m, err := train.FromArch[T](&src.Arch, ws)
	if err != nil {
		return nil, fmt.Errorf("input \"model\": %w (train takes mlp-shallow, mlp-deep and cnn from init)", err)
	}
	return m, nil
}

// evalInputs are the model (as a float64 trainable network) and the
// labelled x, y that attack and weight_project evaluate it on.
func evalInputs(in Inputs) (*train.Model[float64], train.Data[float64], error) {
	src, err := in.Model("model")
	if err != nil {
		return nil, train.Data[float64]{}, err
	}
	m, err := trainableModel[float64](src)
	if err != nil {
		return nil, train.Data[float64]{}, err
	}
	d, err := labelled(in, "x", "y", m)
	return m, d, err
}

// labelled reads samples x and int64 labels y for model m, x in T
// (x's own values when it is stored in T, else a converted copy).
func labelled[T train.Float](in Inputs, xName, yName string, m *train.Model[T]) (train.Data[T], error) {
	x, err := in.Array(xName)
	if err != nil {
		return train.Data[T]{}, err
	}
	y, err := in.Array(yName)
	if err != nil {
		return train.Data[T]{}, err
	}
	if len(x.Shape) < 1 || x.Len() != x.Shape[0]*m.InSize() {
		return train.Data[T]{}, fmt.Errorf("input %q: %s, want N samples of %d values (shape %v)", xName, x.Describe(), m.InSize(), m.InShape)
	}
	if y.DType() != ndarray.Int64 || len(y.Shape) != 1 || y.Shape[0] != x.Shape[0] {
		return train.Data[T]{}, fmt.Errorf("input %q: %s, want int64[%d] labels (one per sample of %q)", yName, y.Describe(), x.Shape[0], xName)
	}
	if err := x.CheckFinite(); err != nil {
		return train.Data[T]{}, fmt.Errorf("input %q: %w", xName, err)
	}
	d := train.Data[T]{X: valuesAs[T](x), Y: make([]int, len(y.I64))}
	for i, v := range y.I64 {
		if v < 0 || int(v) >= m.Classes() {
			return train.Data[T]{}, fmt.Errorf("input %q: label %d of sample %d, want 0…%d", yName, v, i, m.Classes()-1)
		}
		d.Y[i] = int(v)
	}
	return d, nil
}

// trainConfig is the training run of the params.
func trainConfig[T train.Float](p Params) train.Config[T] {
	var opt train.Optimizer[T] = &train.SGD[T]{Momentum: p.Float("momentum"), Nesterov: p.Bool("nesterov"), WeightDecay: p.Float("weight_decay")}
	if p.String("optimizer") == "adam" {
		opt = train.NewAdam[T](p.Float("weight_decay"), p.Bool("amsgrad"))
	}
	cfg := train.Config[T]{Optimizer: opt, LR: p.Float("lr"), BatchSize: p.Int("batch_size"), Epochs: p.Int("epochs"),
		Seed: uint64(p.Int("seed")), FitFrom: p.Int("reg_start") + 1,
		Schedule: train.Schedule{Kind: p.String("schedule"), Every: p.Int("step_every"), Gamma: p.Float("gamma")}}
	if a := p.Float("reg_alpha"); a > 0 {
		cfg.Reg = &train.Spectral{Weight: p.Float("reg_weight"), Slope: a, Start: p.Int("reg_start")}
	}
	return cfg
}

// The training state's entries besides the weights: the curve so far
// (epochs × curveColumns) and the optimiser state, "<stateOptimizer>/<name>".
const (
	stateCurve     = "__train__/curve"
	stateOptimizer = "__train__/optimizer"
)

// trainState is the state after the epochs of curve as a model artifact:
// the weights (in T), the curve and the optimiser state (float64).
func trainState[T train.Float](m *train.Model[T], opt train.Optimizer[T], curve []train.Epoch, name string) *Model {
	st := modelOf(m, name)
	st.Weights[stateCurve] = curveArray(curve)
	for k, v := range opt.State(m.Params()) {
		st.Weights[stateOptimizer+"/"+k] = &ndarray.Array{Shape: []int{len(v)}, F64: v}
	}
	return st
}

// resumeFrom loads into m and cfg.Optimizer the latest state cp holds
// within cfg.Epochs and returns its curve (nil: start afresh).
func resumeFrom[T train.Float](cp Checkpointer, cfg train.Config[T], m *train.Model[T], name string) ([]train.Epoch, error) {
	if cp == nil {
		return nil, nil
	}
	for e := cfg.Epochs; e >= 1; e-- {
		a, err := cp.Load(e)
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint after epoch %d: %w", e, err)
		}
		if a == nil {
			continue
		}
		st, err := AsModel(a)
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint after epoch %d: %w", e, err)
		}
		curve, err := restoreState(st, m, cfg.Optimizer, name)
		if err == nil && len(curve) != e {
			err = fmt.Errorf("%d curve rows", len(curve))
		}
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint after epoch %d does not fit this training: %w", e, err)
		}
		return curve, nil
	}
	return nil, nil
}

// restoreState is the reverse of trainState.
func restoreState[T train.Float](st *Model, m *train.Model[T], opt train.Optimizer[T], name string) ([]train.Epoch, error) {
	if want := m.Arch(name); string(st.canonicalArch()) != string((&Model{Arch: want}).canonicalArch()) {
		return nil, fmt.Errorf("the checkpoint's arch differs")
	}
	optState := map[string][]float64{}
	for k, a := range st.Weights {
		if rest, ok := strings.CutPrefix(k, stateOptimizer+"/"); ok {
			optState[rest] = a.F64
		}
	}
	for _, par := range m.Params() {
		w, ok := st.Weights[par.Name]
		if !ok || w.DType() != dtypeOf[T]() || w.Len() != len(par.Value) {
			return nil, fmt.Errorf("weight %q missing or of another type or size", par.Name)
		}
		copy(par.Value, valuesAs[T](w))
	}
	c, ok := st.Weights[stateCurve]
	if !ok || len(c.Shape) != 2 || c.Shape[1] != len(curveColumns) {
		return nil, fmt.Errorf("no %d-column curve", len(curveColumns))
	}
	curve := make([]train.Epoch, c.Shape[0])
	for i := range curve {
		r := c.F64[i*len(curveColumns):]
		curve[i] = train.Epoch{Loss: r[0], TrainAcc: r[1], ValAcc: r[2], Reg: r[3], Alpha: r[4], LR: r[5]}
	}
	return curve, opt.SetState(m.Params(), optState)
}

// curveArray is the curve as epochs × curveColumns.
func curveArray(curve []train.Epoch) *ndarray.Array {
	a := ndarray.NewF64(len(curve), len(curveColumns))
	a.Axes = []string{"epoch", "column"}
	for i, e := range curve {
		copy(a.F64[i*len(curveColumns):], []float64{e.Loss, e.TrainAcc, e.ValAcc, e.Reg, e.Alpha, e.LR})
	}
	return a
}

// trainOutputs are the train stage's outputs after the last epoch.
func trainOutputs[T train.Float](m *train.Model[T], name string, curve []train.Epoch, cfg train.Config[T], n, nVal int) Outputs {
	last := curve[len(curve)-1]
	info := ndarray.Record{"hidden_layer": m.HiddenLayer(), "hidden_width": m.HiddenSize(),
		"fit_from_rank": cfg.FitFrom, "fit_to_rank": m.HiddenSize() - 1, "rank_base": 0, "fit": "ols-range",
		"n": n, "n_val": nVal, "curve_columns": curveColumns, "regularised": cfg.Reg != nil,
		"alpha_fitted": !math.IsNaN(last.Alpha), "dtype": string(dtypeOf[T]())}
	return Outputs{"model": modelOf(m, name), "curve": curveArray(curve),
		"val_accuracy": ndarray.Scalar(last.ValAcc), "alpha": ndarray.Scalar(last.Alpha), "info": info}
}

// modelOf is m as a model artifact named name, its weights in T.
func modelOf[T train.Float](m *train.Model[T], name string) *Model {
	a := m.Arch(name)
	st := &Model{Arch: a, Weights: map[string]*ndarray.Array{}}
	for _, par := range m.Params() {
		w := &ndarray.Array{Shape: append([]int(nil), par.Shape...)}
		switch v := any(par.Value).(type) {
		case []float32:
			w.F32 = append([]float32(nil), v...)
		case []float64:
			w.F64 = append([]float64(nil), v...)
		}
		st.Weights[par.Name] = w
	}
	return st
}

// dtypeOf names T as ndarray does.
func dtypeOf[T train.Float]() ndarray.DType {
	if _, ok := any(T(0)).(float32); ok {
		return ndarray.Float32
	}
	return ndarray.Float64
}

// valuesAs returns a's values in T: its own slice when it is stored in T,
// else a converted copy.
func valuesAs[T train.Float](a *ndarray.Array) []T {
	if v, ok := any(a.F32).([]T); ok && a.F32 != nil {
		return v
	}
	if v, ok := any(a.F64).([]T); ok && a.F64 != nil {
		return v
	}
	out := make([]T, a.Len())
	for i := range out {
		out[i] = T(a.Value(i))
	}
	return out
}
