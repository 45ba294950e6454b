package stages

import (
	"context"
	"fmt"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/tfjs"
)

// pretrained imports a real pretrained network fetched by
// scripts/fetch-models.sh (stages/nn/tfjs) as a model artifact.
type pretrained struct{}

func init() { Register(pretrained{}) }

func (pretrained) Kind() string    { return "pretrained" }
func (pretrained) Version() string { return "1" }

func (pretrained) Doc() string {
	return `Imports a pretrained Keras network shipped as uint8-quantised tfjs weights in
npm nsfwjs@4.3.0 (DATA.md §2; fetched by scripts/fetch-models.sh, not
committed). model nsfwjs-mobilenetv2 is "MobileNetV2 backbone (nsfwjs
fine-tune)", 224×224; nsfwjs-inceptionv3 is "InceptionV3 backbone (nsfwjs
fine-tune)", 299×299: ImageNet architectures fine-tuned on a 5-class NSFW
task, not ImageNet classifiers; label results so. Images are RGB in [0, 1]
(N×3×H×W). Layers are the Keras layer names (block_6_expand_relu, out_relu,
mixed5, ...); the head (dense_1..dense_3, 5-class softmax) is task-specific.
Weights are float32, dequantised as tfjs does; the forward pass matches tfjs
to 4e-6 of each layer's scale. dir defaults to the fetch-models.sh cache
($EIGENLAB_MODELS, else ~/.cache/eigenlab/models); its files' content enters
the action key. Output: model.`
}

func (pretrained) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "model", Type: String, Choices: tfjs.Names(), Doc: "which pretrained network"},
		// Defaults fills dir with the model's folder under the models cache,
		// so File hashing always covers the weights actually read (the path
		// text enters the key too: the same files elsewhere rerun once).
		{Name: "dir", Type: String, Optional: true, File: true,
			Doc: "model folder holding model.min.js/model.json and its shards (default: the fetch-models.sh cache)"},
	}
}

// Defaults sets dir to the chosen model's folder in the models cache.
func (pretrained) Defaults(p Params) {
	if p.Has("dir") {
		return
	}
	if d, err := tfjs.DefaultDir(p.String("model")); err == nil {
		p["dir"] = d
	}
}

// Validate checks that the model folder holds a complete model, so a
// missing download is reported before anything runs, with the fix.
func (pretrained) Validate(p Params) error {
	dir := p.String("dir")
	if dir == "" {
		return fmt.Errorf("param \"dir\": no models folder (set EIGENLAB_MODELS or HOME)")
	}
	if _, err := tfjs.ModelFiles(dir); err != nil {
		return fmt.Errorf("param \"dir\": %v (run scripts/fetch-models.sh or make models)", err)
	}
	return nil
}

func (pretrained) Inputs() []InputSpec { return nil }

func (pretrained) Outputs(Params) []string { return []string{"model"} }

func (pretrained) Resources(Params) Resources { return Resources{Threads: 1, MemBytes: 512 << 20} }

func (pretrained) Run(_ context.Context, _ *ndarray.Scratch, _ Inputs, p Params) (Outputs, error) {
	name := p.String("model")
	m, err := tfjs.Load(p.String("dir"), name)
	if err != nil {
		return nil, err
	}
	in, err := m.Arch.Input()
	if err != nil {
		return nil, err
	}
	if want := tfjs.Catalogue[name].Size; in.Height != want || in.Width != want || in.Channels != 3 {
		return nil, fmt.Errorf("param \"dir\": %s takes %d×%d×%d images, want 3×%d×%d for %s", p.String("dir"), in.Channels, in.Height, in.Width, want, want, name)
	}
	out := &Model{Arch: m.Arch, Weights: make(map[string]*ndarray.Array, len(m.Weights))}
	for k, w := range m.Weights {
		out.Weights[k] = &ndarray.Array{Shape: w.Shape, F32: w.Data}
	}
	return Outputs{"model": out}, nil
}
