package stages

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn"
)

// extract runs images through a model and keeps the activations of the
// requested layers.
type extract struct{}

func init() { Register(extract{}) }

func (extract) Kind() string { return "extract" }

// Version 3: every GEMM runs OpenBLAS's blocked driver on its worker's
// thread, summing as OpenBLAS's thread pool does, and dense layers gonum's
// GEMV: the bytes no longer depend on the number of CPUs. Convolutions
// give version 2's bytes on SkylakeX kernels (what the CLI selects on
// AVX-512); dense layers change in their last bits.
func (extract) Version() string { return "3" }

func (extract) Doc() string {
	return `Runs the images (N×C×H×W) through the model and outputs, for each
requested layer, its float32 activations named by the layer: N×C×H×W for
spatial layers, N×D for flat ones. Each image is computed alone in float32
as tfjs and torch do (im2col + SGEMM, batch norm and activations fused into
the producing op), one image per worker and one worker per CPU, each
worker's SGEMM on its own thread, so values do not depend on batch or
thread count; batch sets how many images are in flight at once. Activations are written to
the cache batch by batch as they are produced, so they never need to fit
in memory. Only the layers the requested ones depend on are computed; a
graph cut before its first flatten takes images of any size (e.g. the
MobileNetV2 backbone on 96×96 patches; its head needs 224×224).`
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

func (extract) Run(ctx context.Context, scratch *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	m, err := in.Model("model")
	if err != nil {
		return nil, err
	}
	var files closers
	defer files.close()
	shape, src, err := images(in, m, &files)
	if err != nil {
		return nil, err
	}
	n, layers := shape[0], p.Strings("layers")
	for _, l := range layers {
		if m.Arch.Index(l) < 0 {
			return nil, fmt.Errorf("param \"layers\": model %q has no layer %q; available: %v", m.Arch.Name, l, m.Arch.Names())
		}
	}
	net, err := m.Net(shape[2], shape[3], layers...)
	if err != nil {
		return nil, fmt.Errorf("input \"model\" on %d×%d images: %w", shape[2], shape[3], err)
	}
	outs := make([]*ndarray.ArrayWriter, len(layers))
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
		if outs[k], err = scratch.CreateArray(ndarray.Float32, append([]int{n}, shape...)); err != nil {
			return nil, fmt.Errorf("output %q: %w", l, err)
		}
	}
	// The workers that load images cannot return errors: the first failed
	// read is kept and ends the run at the end of its batch.
	var loadErr error
	var once sync.Once
	load := func(i int, dst []float64) {
		if err := src(i, dst); err != nil {
			once.Do(func() { loadErr = fmt.Errorf("input \"images\": image %d: %w", i, err) })
		}
	}
	// Batches arrive in image order whatever the number of workers, so each
	// layer's file is written front to back with the same bytes every time.
	err = net.Extract(ctx, n, load, layers, p.Int("batch"), func(b nn.Batch) error {
		if loadErr != nil { // set before the batch's workers finished
			return loadErr
		}
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

// imageSource reads image i (C·H·W values in C order) into dst.
type imageSource func(i int, dst []float64) error

// images checks the images input against the model's input node and
// returns its shape and a reader of single images. A stack in memory is
// converted image by image; one left in an ArrayFile (larger than the
// runner's memory budget) is read image by image from its file, opened
// into files, so it is never in memory whole.
func images(in Inputs, m *Model, files *closers) ([]int, imageSource, error) {
	var shape []int
	var desc string
	var dtype ndarray.DType
	file, isFile := in["images"].(*ndarray.ArrayFile)
	var arr *ndarray.Array
	if isFile {
		shape, desc, dtype = file.Shape, file.Describe(), file.DType
	} else {
		var err error
		if arr, err = in.Array("images"); err != nil {
			return nil, nil, err
		}
		shape, desc, dtype = arr.Shape, arr.Describe(), arr.DType()
	}
	if len(shape) != 4 || ndarray.Numel(shape) == 0 {
		return nil, nil, fmt.Errorf("input \"images\" is %s; want a non-empty N×C×H×W array", desc)
	}
	if dtype == ndarray.Int64 {
		return nil, nil, fmt.Errorf("input \"images\" is %s; want float32 or float64", desc)
	}
	node, err := m.Arch.Input()
	if err != nil {
		return nil, nil, fmt.Errorf("input \"model\": %w", err)
	}
	if shape[1] != node.Channels {
		return nil, nil, fmt.Errorf("input \"images\" has %d channels (%s) but model %q takes %d", shape[1], desc, m.Arch.Name, node.Channels)
	}
	if !isFile {
		if err := arr.CheckFinite(); err != nil {
			return nil, nil, fmt.Errorf("input \"images\": %w", err)
		}
		return shape, imageLoader(arr), nil
	}
	if err := file.CheckFinite(); err != nil {
		return nil, nil, fmt.Errorf("input \"images\": %w", err)
	}
	pl, err := file.OpenPayload()
	if err != nil {
		return nil, nil, fmt.Errorf("input \"images\": %w", err)
	}
	*files = append(*files, pl)
	return shape, fileImages(pl, dtype, ndarray.Numel(shape[1:])), nil
}

// imageLoader converts image i to float64 on demand, so a float32 stack
// is never copied whole.
func imageLoader(imgs *ndarray.Array) imageSource {
	size := imgs.Len() / imgs.Shape[0]
	return func(i int, dst []float64) error {
		if imgs.F32 != nil {
			for j, v := range imgs.F32[i*size : (i+1)*size] {
				dst[j] = float64(v)
			}
			return nil
		}
		copy(dst, imgs.F64[i*size:(i+1)*size])
		return nil
	}
}

// fileImages reads image i of size values from an image stack's payload;
// it is safe for the concurrent workers (ReadAt is pread).
func fileImages(pl *ndarray.Payload, dtype ndarray.DType, size int) imageSource {
	return func(i int, dst []float64) error {
		if dtype == ndarray.Float64 {
			_, err := pl.ReadAt((&ndarray.Array{F64: dst}).Bytes(), int64(i*size)*8)
			return err
		}
		buf := make([]float32, size)
		if _, err := pl.ReadAt((&ndarray.Array{F32: buf}).Bytes(), int64(i*size)*4); err != nil {
			return err
		}
		for j, v := range buf {
			dst[j] = float64(v)
		}
		return nil
	}
}
