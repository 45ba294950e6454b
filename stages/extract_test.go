package stages

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

func randImages(seed uint64, shape ...int) *ndarray.Array {
	rng := rand.New(rand.NewPCG(seed, 1))
	a := ndarray.NewF32(shape...)
	for i := range a.F32 {
		a.F32[i] = float32(rng.Float64())
	}
	return a
}

func runExtract(t testing.TB, m Artifact, imgs *ndarray.Array, batch int, layers ...string) (Outputs, error) {
	t.Helper()
	p := Params{"layers": layers, "batch": batch}
	if err := (extract{}).Validate(p); err != nil {
		return nil, err
	}
	out, err := extract{}.Run(context.Background(), ndarray.NewScratch(t.TempDir()), Inputs{"model": m, "images": imgs}, p)
	if err != nil {
		return nil, err
	}
	for name, a := range out {
		if out[name], err = AsArray(a); err != nil {
			t.Fatalf("output %s: %v", name, err)
		}
	}
	return out, nil
}

// TestExtractShapesAndValues checks output names and shapes, that the
// batch size does not change a bit, and conv1 against a direct sum.
func TestExtractShapesAndValues(t *testing.T) {
	m := runInit(t, initParams("convnet6", 1, 0, "exact"))
	imgs := randImages(1, 5, 3, 16, 12)
	out, err := runExtract(t, m, imgs, 2, "conv1", "pool2", "conv6")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]int{"conv1": {5, 32, 16, 12}, "pool2": {5, 64, 4, 3}, "conv6": {5, 128, 4, 3}} {
		if got := out[name].(*ndarray.Array); !slices.Equal(got.Shape, want) || got.DType() != ndarray.Float32 {
			t.Errorf("%s: %s, want float32%v", name, got.Describe(), want)
		}
	}
	again, err := runExtract(t, roundTrip(t, m), imgs, 5, "conv6")
	if err != nil {
		t.Fatal(err)
	}
	if again["conv6"].Digest() != out["conv6"].Digest() {
		t.Error("conv6 differs between batch 2 and batch 5 (after a model round trip)")
	}
	conv1 := out["conv1"].(*ndarray.Array).F32
	w := m.Weights["conv1/kernel"].F64
	for _, at := range [][4]int{{0, 0, 0, 0}, {4, 31, 15, 11}, {2, 7, 8, 5}, {3, 12, 0, 6}} {
		n, o, y, x := at[0], at[1], at[2], at[3]
		sum := 0.0 // the bias is 0; padding "same" is 1 on each side
		for c := 0; c < 3; c++ {
			for i := 0; i < 3; i++ {
				for j := 0; j < 3; j++ {
					if iy, ix := y+i-1, x+j-1; iy >= 0 && iy < 16 && ix >= 0 && ix < 12 {
						sum += float64(imgs.F32[((n*3+c)*16+iy)*12+ix]) * w[((o*3+c)*3+i)*3+j]
					}
				}
			}
		}
		got := float64(conv1[((n*32+o)*16+y)*12+x])
		if want := math.Max(sum, 0); math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("conv1%v = %v, direct sum %v", at, got, want)
		}
	}
}

// TestExtractFlatLayer: a global-pooled layer is N×D.
func TestExtractFlatLayer(t *testing.T) {
	m := runInit(t, initParams("resnet-small", 0.5, 0, "exact"))
	out, err := runExtract(t, m, randImages(2, 3, 3, 8, 8), 32, "pool")
	if err != nil {
		t.Fatal(err)
	}
	if got := out["pool"].(*ndarray.Array); !slices.Equal(got.Shape, []int{3, 64}) {
		t.Errorf("pool: %s, want [3 64]", got.Describe())
	}
}

// Only what the requested layers need is computed: a layer before the
// pooling runs on images too small for the rest of the network, with the
// same values as from the whole network.
func TestExtractComputesOnlyWhatIsAsked(t *testing.T) {
	m := runInit(t, initParams("convnet6", 1, 0, "exact"))
	small, err := runExtract(t, m, randImages(4, 2, 3, 2, 2), 4, "conv2")
	if err != nil || !slices.Equal(small["conv2"].(*ndarray.Array).Shape, []int{2, 32, 2, 2}) {
		t.Fatalf("conv2 on 2×2 images: %v", err)
	}
	imgs := randImages(5, 2, 3, 8, 8)
	one, err := runExtract(t, m, imgs, 4, "conv1")
	if err != nil {
		t.Fatal(err)
	}
	all, err := runExtract(t, m, imgs, 4, "conv1", "conv6")
	if err != nil {
		t.Fatal(err)
	}
	if one["conv1"].Digest() != all["conv1"].Digest() {
		t.Error("conv1 differs when conv6 is extracted too")
	}
}

// TestExtractBadInput checks each user error names the input or param
// and the expected form.
func TestExtractBadInput(t *testing.T) {
	m := runInit(t, initParams("convnet6", 1, 0, "exact"))
	nan := randImages(3, 2, 3, 8, 8)
	nan.F32[17] = float32(math.NaN())
	for _, tc := range []struct {
		name   string
		model  Artifact
		imgs   *ndarray.Array
		layers []string
		want   string
	}{
		{"unknown layer", m, randImages(3, 2, 3, 8, 8), []string{"conv2", "fc7"}, `param "layers": model "convnet6" has no layer "fc7"; available: [input conv1 conv2 pool1`},
		{"channels", m, randImages(3, 2, 1, 8, 8), []string{"conv1"}, `input "images" has 1 channels (float32[2 1 8 8]) but model "convnet6" takes 3`},
		{"not 4-d", m, randImages(3, 2, 3, 64), []string{"conv1"}, `input "images" is float32[2 3 64]; want a non-empty N×C×H×W array`},
		{"not a model", ndarray.Record{"a": 1}, randImages(3, 2, 3, 8, 8), []string{"conv1"}, `input "model": artifact is record{"a":1}, not a model`},
		{"nan", m, nan, []string{"conv1"}, `input "images": element 17`},
		{"too small", m, randImages(3, 1, 3, 2, 2), []string{"conv6"}, `input "model" on 2×2 images: arch "convnet6": node "pool2" (max_pool2d): height: size 1 is smaller than the kernel 2`},
		{"no layers", m, randImages(3, 2, 3, 8, 8), []string{}, `param "layers": want at least one layer name`},
		{"duplicate", m, randImages(3, 2, 3, 8, 8), []string{"conv1", "conv1"}, `param "layers": "conv1" is listed twice`},
	} {
		_, err := runExtract(t, tc.model, tc.imgs, 4, tc.layers...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v\nwant prefix %s", tc.name, err, tc.want)
		}
	}
}

// fileOf writes a into an ArrayFile in s.
func fileOf(t *testing.T, s *ndarray.Scratch, a *ndarray.Array) *ndarray.ArrayFile {
	t.Helper()
	w, err := s.CreateArray(a.DType(), a.Shape)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(a.Bytes()); err != nil {
		t.Fatal(err)
	}
	f, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Images left in an ArrayFile are read image by image and give the bytes
// of the same images in memory; a NaN in them, or a read that fails, is
// reported as for images in memory.
func TestExtractImagesFromFile(t *testing.T) {
	m := runInit(t, initParams("convnet6", 1, 0, "exact"))
	scratch := ndarray.NewScratch(t.TempDir())
	ctx := context.Background()
	imgs := randImages(4, 6, 3, 8, 8)
	want, err := runExtract(t, m, imgs, 4, "conv2")
	if err != nil {
		t.Fatal(err)
	}
	file := fileOf(t, scratch, imgs)
	got, err := extract{}.Run(ctx, scratch, Inputs{"model": m, "images": file}, Params{"layers": []string{"conv2"}, "batch": 4})
	if err != nil {
		t.Fatal(err)
	}
	if got["conv2"].Digest() != want["conv2"].Digest() {
		t.Error("activations of images read from a file differ from those of the images in memory")
	}

	nan := randImages(4, 6, 3, 8, 8)
	nan.F32[17] = float32(math.NaN())
	_, err = extract{}.Run(ctx, scratch, Inputs{"model": m, "images": fileOf(t, scratch, nan)}, Params{"layers": []string{"conv2"}, "batch": 4})
	if wantErr := `input "images": element 17 (row 0, column 17) is NaN`; err == nil || !strings.HasPrefix(err.Error(), wantErr) {
		t.Errorf("NaN in a file: %v; want prefix %s", err, wantErr)
	}

	if err := os.Truncate(file.Path, file.DataOffset+100); err != nil {
		t.Fatal(err)
	}
	pl, err := file.OpenPayload()
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	if err := fileImages(pl, ndarray.Float32, 3*8*8)(2, make([]float64, 3*8*8)); !errors.Is(err, io.EOF) {
		t.Errorf("reading an image past the end of a truncated file: %v; want EOF", err)
	}
}

// The chunked outputs are the same bytes whatever the number of workers
// and the batch size (batches are written in image order).
func TestExtractChunkedDeterministic(t *testing.T) {
	m := runInit(t, initParams("convnet6", 1, 0, "exact"))
	imgs := randImages(5, 9, 3, 8, 8)
	var first Outputs
	for _, tc := range []struct{ procs, batch int }{{1, 1}, {4, 3}, {2, 9}, {3, 4}} {
		old := runtime.GOMAXPROCS(tc.procs)
		out, err := runExtract(t, m, imgs, tc.batch, "conv1", "conv4")
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out
			continue
		}
		for _, l := range []string{"conv1", "conv4"} {
			if out[l].Digest() != first[l].Digest() {
				t.Errorf("GOMAXPROCS %d, batch %d: %s differs from GOMAXPROCS 1, batch 1", tc.procs, tc.batch, l)
			}
		}
	}
}
