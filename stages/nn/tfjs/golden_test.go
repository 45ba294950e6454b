package tfjs

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// Tolerance of the layer-by-layer comparison with tfjs. The error of a
// layer is max over the sampled elements and images of |go − ref| divided
// by max over the full reference tensor (all images) of |ref|: a relative
// error on the layer's scale. Elementwise relative error is meaningless
// for the many activations near zero. Both compute in float32 from the same
// weights and inputs, with different summation orders.
const goldenTol = 1e-4

// golden is testdata/golden-<net>.json (written by testdata/reference.js).
type golden struct {
	TFJS    string        `json:"tfjs"`
	Backend string        `json:"backend"`
	Size    int           `json:"size"`
	Images  []string      `json:"images"`
	Layers  []goldenLayer `json:"layers"`
	Head    struct {
		Images []string    `json:"images"`
		Probs  [][]float64 `json:"probs"`
	} `json:"head"`
}

type goldenLayer struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"` // per image, NHWC order without N
	K      int    `json:"k"`
	Offset int    `json:"offset"`
	Stats  []struct {
		Sum    float64 `json:"sum"`
		SumAbs float64 `json:"sum_abs"`
		SumSq  float64 `json:"sum_sq"`
		MaxAbs float64 `json:"max_abs"`
	} `json:"stats"`
	idx  []uint32    // sampled indices into one image's tensor, NHWC
	vals [][]float32 // per image
}

func readGolden(t *testing.T, net string) *golden {
	t.Helper()
	meta, err := os.ReadFile(filepath.Join("testdata", "golden-"+net+".json"))
	if err != nil {
		t.Fatal(err)
	}
	g := new(golden)
	if err := json.Unmarshal(meta, g); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join("testdata", "golden-"+net+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range g.Layers {
		L := &g.Layers[i]
		off := L.Offset
		L.idx = make([]uint32, L.K)
		for j := range L.idx {
			L.idx[j] = binary.LittleEndian.Uint32(bin[off:])
			off += 4
		}
		for range g.Images {
			v := make([]float32, L.K)
			for j := range v {
				v[j] = math.Float32frombits(binary.LittleEndian.Uint32(bin[off:]))
				off += 4
			}
			L.vals = append(L.vals, v)
		}
	}
	return g
}

// requireModels returns the model folder of the named net, skipping the
// test when nsfwjs has not been fetched, except under CI, where
// scripts/setup.sh must have fetched it and its absence is a failure.
func requireModels(t testing.TB, name string) string {
	t.Helper()
	dir, err := DefaultDir(name)
	if err == nil {
		_, err = ModelFiles(dir)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the pretrained model is missing (scripts/fetch-models.sh should have fetched it): %v", err)
		}
		t.Skipf("pretrained model not fetched (run scripts/fetch-models.sh or make models): %v", err)
	}
	return dir
}

// compile loads and compiles a catalogue net for its input size.
func compile(t testing.TB, name string) *nn.Net {
	t.Helper()
	m, err := Load(requireModels(t, name), name)
	if err != nil {
		t.Fatal(err)
	}
	ws := make(map[string]nn.Tensor, len(m.Weights))
	for k, w := range m.Weights {
		d := make([]float64, len(w.Data))
		for i, v := range w.Data {
			d[i] = float64(v)
		}
		ws[k] = nn.Tensor{Shape: w.Shape, Data: d}
	}
	size := Catalogue[name].Size
	net, err := nn.Compile(&m.Arch, ws, size, size)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// chwImages turns N×H×W×3 bytes into a loader of C×H×W float64 images.
func chwImages(u8 []uint8, size int) nn.Loader {
	per := size * size * 3
	return func(i int, dst []float64) {
		src := u8[i*per : (i+1)*per]
		for p := 0; p < size*size; p++ {
			for c := 0; c < 3; c++ {
				dst[c*size*size+p] = float64(inputFloat(src[p*3+c]))
			}
		}
	}
}

// nhwcToNet maps an index into an H×W×C tensor to nn's C×H×W index (flat
// tensors map to themselves).
func nhwcToNet(shape []int, i int) int {
	if len(shape) != 3 {
		return i
	}
	h, w, c := shape[0], shape[1], shape[2]
	p, ch := i/c, i%c
	return ch*h*w + p
}

func TestGoldenMobileNetV2(t *testing.T) { checkGolden(t, "nsfwjs-mobilenetv2", "mobilenetv2") }

func TestGoldenInceptionV3(t *testing.T) {
	if testing.Short() {
		t.Skip("InceptionV3 at 299×299 takes ~10 s; skipped with -short")
	}
	checkGolden(t, "nsfwjs-inceptionv3", "inceptionv3")
}

// checkGolden runs the committed photos through the Go net and compares
// every golden layer with tfjs, then the head's softmax and top-1.
func checkGolden(t *testing.T, name, file string) {
	net := compile(t, name)
	g := readGolden(t, file)
	u8, shape, err := readU8NPY(filepath.Join("testdata", "inputs-"+itoa(g.Size)+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	if shape[0] != len(g.Images) {
		t.Fatalf("inputs hold %d images, goldens %d", shape[0], len(g.Images))
	}
	layers := make([]string, len(g.Layers))
	for i, L := range g.Layers {
		layers[i] = L.Name
		s, err := net.Shape(L.Name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Size() != nn.Shape(L.Shape).Size() {
			t.Fatalf("layer %s: Go shape %v, tfjs %v (NHWC)", L.Name, s, L.Shape)
		}
	}
	acts := make([][]float32, len(layers))
	err = net.Extract(context.Background(), len(g.Images), chwImages(u8, g.Size), layers, len(g.Images), func(b nn.Batch) error {
		for k := range acts {
			acts[k] = append(acts[k], b.Acts[k]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for k, L := range g.Layers {
		size := len(acts[k]) / len(g.Images)
		scale := 0.0
		for _, st := range L.Stats {
			scale = max(scale, st.MaxAbs)
		}
		if scale == 0 {
			scale = 1
		}
		rel, sumRel := 0.0, 0.0
		for im := range g.Images {
			got := acts[k][im*size : (im+1)*size]
			for j, e := range L.idx {
				rel = max(rel, math.Abs(float64(got[nhwcToNet(L.Shape, int(e))])-float64(L.vals[im][j]))/scale)
			}
			// Full-tensor check: the sum and the maximum see every element.
			sum, maxAbs := 0.0, 0.0
			for _, v := range got {
				sum += float64(v)
				maxAbs = max(maxAbs, math.Abs(float64(v)))
			}
			st := L.Stats[im]
			sumRel = max(sumRel, math.Abs(sum-st.Sum)/max(st.SumAbs, 1e-30), math.Abs(maxAbs-st.MaxAbs)/scale)
		}
		worst = max(worst, rel)
		if rel > goldenTol || sumRel > goldenTol {
			t.Errorf("layer %-28s %v: max|go−tfjs|/max|tfjs| = %.2e, full-tensor sum/max rel = %.2e; want ≤ %g", L.Name, L.Shape, rel, sumRel, goldenTol)
		} else if testing.Verbose() {
			t.Logf("layer %-28s %-15v err %.2e  sum/max %.2e", L.Name, fmtShape(L.Shape), rel, sumRel)
		}
	}
	t.Logf("%s: %d layers × %d images vs tfjs %s (%s backend): worst max|go−tfjs|/max|tfjs| = %.2e", name, len(g.Layers), len(g.Images), g.TFJS, g.Backend, worst)

	// Head: the last golden layer is the 5-class softmax.
	last := len(g.Layers) - 1
	if g.Layers[last].Name != "dense_3" {
		t.Fatalf("last golden layer is %q, want dense_3", g.Layers[last].Name)
	}
	for im, img := range g.Images {
		checkHead(t, name, img, acts[last][im*5:(im+1)*5], g.Layers[last].vals[im])
	}
	checkHeadPhotos(t, net, name, g)
}

func checkHead(t *testing.T, name, img string, got, want []float32) {
	t.Helper()
	classes := Catalogue[name].Classes
	top := func(p []float32) int { return slices.Index(p, slices.Max(p)) }
	diff := 0.0
	for c := range got {
		diff = max(diff, math.Abs(float64(got[c]-want[c])))
	}
	if top(got) != top(want) || diff > goldenTol {
		t.Errorf("%s on %s: Go top-1 %s %.4f, tfjs %s %.4f; max softmax difference %.1e", name, img, classes[top(got)], got[top(got)], classes[top(want)], want[top(want)], diff)
		return
	}
	t.Logf("%s on %-10s top-1 %s %.4f (tfjs %.4f), max softmax difference %.1e", name, img, classes[top(got)], got[top(got)], want[top(want)], diff)
}

// checkHeadPhotos rebuilds the crops of the DATA.md §2.2 photos whose
// licences keep them out of the repository, when the Debian packages are
// installed, and compares the head with the committed tfjs softmax.
func checkHeadPhotos(t *testing.T, net *nn.Net, name string, g *golden) {
	for i, img := range g.Head.Images {
		p := headPhotos[slices.IndexFunc(headPhotos, func(p photo) bool { return p.Name == img })]
		px, err := preprocess(p.Path, g.Size)
		if err != nil {
			t.Logf("head check on %s skipped: %v", img, err)
			continue
		}
		var got []float32
		err = net.Extract(context.Background(), 1, chwImages(px, g.Size), []string{"dense_3"}, 1, func(b nn.Batch) error {
			got = slices.Clone(b.Acts[0])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(g.Head.Probs[i]))
		for c, v := range g.Head.Probs[i] {
			want[c] = float32(v)
		}
		checkHead(t, name, img, got, want)
	}
}

func itoa(n int) string { return string(json.Number(jsonInt(n))) }

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func fmtShape(s []int) string { b, _ := json.Marshal(s); return string(b) }
