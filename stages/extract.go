package stages

import (
	"context"
	"fmt"
	"runtime"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// extract runs images through a model and keeps the activations of the
// requested layers.
type extract struct{}

func init() { Register(extract{}) }

func (extract) Kind() string    { return "extract" }
func (extract) Version() string { return "1" }

func (extract) Doc() string {
	return `Runs the images (N×C×H×W) through the model and outputs, for each
requested layer, its float32 activations named by the layer: N×C×H×W for
spatial layers, N×D for flat ones. Each image is computed alone in float64
(im2col + GEMM), so values do not depend on batch or thread count; batch
sets how many images are in flight at once. Activations are written to
the cache batch by batch as they are produced, so they never need to fit
in memory.`
}

func (extract) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "layers", Type: StringList, Doc: "node names whose outputs to keep"},
		{Name: "batch", Type: Int, Default: 32, Min: Bound(1), Doc: "images computed per batch"},
	}
}

func (extract) Validate(p Params) error {
	layers := p.Strings("layers")
	if len(layers) == 0 {
		return fmt.Errorf("param \"layers\": want at least one layer name")
	}
	seen := map[string]bool{}
	for _, l := range layers {
		if seen[l] {
			return fmt.Errorf("param \"layers\": %q is listed twice", l)
		}
		seen[l] = true
	}
	return nil
}

func (extract) Inputs() []InputSpec {
	return []InputSpec{
		{Name: "model", Doc: "the network (powerlaw_init or an imported model)"},
		{Name: "images", Doc: "images, N×C×H×W float32 in the model's input range"},
	}
}

func (extract) Outputs(p Params) []string { return p.Strings("layers") }

func (extract) Resources(Params) Resources { return Resources{Threads: runtime.NumCPU()} }

func (extract) Run(ctx context.Context, in Inputs, p Params) (Outputs, error) {
	m, err := in.Model("model")
	if err != nil {
		return nil, err
	}
	imgs, err := images(in, m)
	if err != nil {
		return nil, err
	}
	net, err := m.Net(imgs.Shape[2], imgs.Shape[3])
	if err != nil {
		return nil, fmt.Errorf("input \"model\" on %d×%d images: %w", imgs.Shape[2], imgs.Shape[3], err)
	}
	n, layers := imgs.Shape[0], p.Strings("layers")
	outs := make([]*ArrayWriter, len(layers))
	defer func() {
		for _, w := range outs {
			if w != nil {
				w.Close() // a no-op after the Close below; frees a failed run's files
			}
		}
	}()
	for k, l := range layers {
		shape, err := net.Shape(l)
		if err != nil {
			return nil, fmt.Errorf("param \"layers\": %w", err)
		}
		if outs[k], err = CreateArray(ctx, Float32, append([]int{n}, shape...)); err != nil {
			return nil, fmt.Errorf("output %q: %w", l, err)
		}
	}
	// Batches arrive in image order whatever the number of workers, so each
	// layer's file is written front to back with the same bytes every time.
	err = net.Extract(ctx, n, imageLoader(imgs), layers, p.Int("batch"), func(b nn.Batch) error {
		for k, acts := range b.Acts {
			if err := outs[k].WriteFloat32s(acts); err != nil {
				return fmt.Errorf("output %q: %w", layers[k], err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := Outputs{}
	for k, l := range layers {
		f, err := outs[k].Close()
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", l, err)
		}
		res[l] = f
	}
	return res, nil
}

// images returns the images input, checked against the model's input node.
func images(in Inputs, m *Model) (*Array, error) {
	imgs, err := in.Array("images")
	if err != nil {
		return nil, err
	}
	if len(imgs.Shape) != 4 || imgs.Len() == 0 {
		return nil, fmt.Errorf("input \"images\" is %s; want a non-empty N×C×H×W array", imgs.Describe())
	}
	if imgs.DType() == Int64 {
		return nil, fmt.Errorf("input \"images\" is %s; want float32 or float64", imgs.Describe())
	}
	node, err := m.Arch.Input()
	if err != nil {
		return nil, fmt.Errorf("input \"model\": %w", err)
	}
	if imgs.Shape[1] != node.Channels {
		return nil, fmt.Errorf("input \"images\" has %d channels (%s) but model %q takes %d", imgs.Shape[1], imgs.Describe(), m.Arch.Name, node.Channels)
	}
	if err := imgs.CheckFinite(); err != nil {
		return nil, fmt.Errorf("input \"images\": %w", err)
	}
	return imgs, nil
}

// imageLoader converts image i to float64 on demand, so a float32 stack
// is never copied whole.
func imageLoader(imgs *Array) nn.Loader {
	size := imgs.Len() / imgs.Shape[0]
	return func(i int, dst []float64) {
		if imgs.F32 != nil {
			for j, v := range imgs.F32[i*size : (i+1)*size] {
				dst[j] = float64(v)
			}
			return
		}
		copy(dst, imgs.F64[i*size:(i+1)*size])
	}
}
