package stagetest

import (
	"archive/zip"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
	imaging "github.com/eigenlab/eigenlab/stages/images"
)

// row is one stage kind (or one load source) under the conformance suite:
// small fixed inputs and the params a YAML file would give; the suite
// fills in the defaults from the stage's ParamSpecs.
type row struct {
	// name is the kind, or "load/<source>" for a load source.
	name   string
	params stages.Params
	// setup writes the row's fixture files into the working directory (a
	// fresh temporary one), adding the params that name them to p, and
	// returns the stage's inputs (nil: none).
	setup func(t *testing.T, p stages.Params) stages.Inputs
	// skip returns why the row cannot run here (external files absent),
	// or "".
	skip func() string
	// noBoundRuns checks the row's param bounds only against the spec:
	// running it once per bound would cost seconds (real photos, large
	// downloads).
	noBoundRuns bool
	// nanDrops gives, by input, the params under which NaN in that input
	// is dropped, as the stage documents, instead of rejected.
	nanDrops map[string]stages.Params
}

// rows is the conformance table: every registered kind and every load
// source needs a row, or TestEveryKindHasARow fails.
var rows = []row{
	{name: "load/planted", params: stages.Params{"source": "planted", "n": 12, "p": 5, "alpha": 1.0}},
	{name: "load/planted-pair", params: stages.Params{"source": "planted-pair", "n": 12, "dx": 4, "dy": 3, "alpha": 1.0}},
	{name: "load/deadleaves", params: stages.Params{"source": "deadleaves", "n": 3, "size": 8}},
	{name: "load/npy", params: stages.Params{"source": "npy"}, setup: npyFixture},
	{name: "load/hdf5", params: stages.Params{"source": "hdf5", "dataset": "/rec/rsu", "axes": "RSU", "groups_dataset": "/rec/area"},
		setup: hdf5Fixture},
	{name: "load/npz", params: stages.Params{"source": "npz", "key": "acts"}, setup: npzFixture},
	{name: "load/folder", params: stages.Params{"source": "folder", "size": 4}, setup: folderFixture},
	{name: "load/class-folders", params: stages.Params{"source": "class-folders", "size": 4}, setup: classFoldersFixture},
	{name: "load/photos", params: stages.Params{"source": "photos", "n": 3, "patch": 4, "scale": 16, "split": "test"},
		skip: photosAbsent, noBoundRuns: true},
	{name: "load/fashion-mnist", params: stages.Params{"source": "fashion-mnist", "n": 3, "split": "test"},
		skip: fashionAbsent, noBoundRuns: true},
	{name: "pretrained", params: stages.Params{"model": "nsfwjs-mobilenetv2"}, skip: pretrainedAbsent, noBoundRuns: true},
	{name: "powerlaw_init", params: stages.Params{"arch": "convnet6", "alpha": 1.0, "in_channels": 1}},
	{name: "weights", params: stages.Params{"layer": "conv2"},
		setup: func(t *testing.T, _ stages.Params) stages.Inputs { return stages.Inputs{"model": convnet(t)} }},
	{name: "extract", params: stages.Params{"layers": []string{"conv1", "pool2"}, "batch": 2},
		setup: func(t *testing.T, _ stages.Params) stages.Inputs {
			return stages.Inputs{"model": convnet(t), "images": fixed(1, 3, 1, 8, 8)}
		}},
	{name: "reduce", params: stages.Params{"method": "pca", "k": 2, "split": 0.75},
		setup: func(*testing.T, stages.Params) stages.Inputs { return stages.Inputs{"x": fixed(2, 12, 5)} }},
	{name: "spectrum", params: stages.Params{"ranks": []int{1, 20}, "n_bootstraps": 20},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(3, 40, 4, 2, 3), "groups": ndarray.Ints(groupsOf(40, 8)...)}
		},
		nanDrops: map[string]stages.Params{"x": {"drop_nonfinite": true}}},
	{name: "spectrum/repeats", params: stages.Params{"repeats": []int{0, 1}, "ranks": []int{1, 6}, "n_bootstraps": 20},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"responses": fixed(14, 30, 2, 8), "unit_groups": ndarray.Ints(groupsOf(8, 2)...)}
		}},
	{name: "crossdecomp", params: stages.Params{"n_folds": 4, "n_permutations": 20, "n_bootstraps": 20},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(4, 32, 6), "y": fixed(5, 32, 5), "groups": ndarray.Ints(groupsOf(32, 8)...)}
		}},
	{name: "crossdecomp/repeats", params: stages.Params{"repeats": []int{0, 1}, "n_folds": 4, "n_permutations": 20, "n_bootstraps": 20},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(4, 32, 6), "y_repeats": fixed(16, 32, 2, 5), "groups": ndarray.Ints(groupsOf(32, 8)...)}
		}},
	{name: "encode", params: stages.Params{"n_folds": 3, "alphas": []float64{0.1, 10}},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(6, 24, 4), "y": fixed(7, 24, 3)}
		}},
	{name: "encode/brain", params: stages.Params{"n_folds": 3, "alphas": []float64{0.1, 10}, "ceiling": "ncsnr", "theory": true, "theory_ps": []int{5, 12}, "theory_trials": 2},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(6, 24, 4), "responses": fixed(15, 24, 3, 3)}
		}},
	{name: "weight_align", params: stages.Params{"top": 4, "n_null": 50},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"w1": fixed(8, 6, 4, 3, 3), "w2": fixed(9, 5, 4, 3, 3), "phi": fixed(10, 20, 4), "psi": fixed(11, 20, 4)}
		}},
	{name: "manifold", params: stages.Params{"n_t": 20, "max_points_per_manifold": 5},
		setup: func(*testing.T, stages.Params) stages.Inputs {
			return stages.Inputs{"x": fixed(12, 24, 3, 4), "labels": ndarray.Ints(groupsOf(24, 4)...)}
		}},
	{name: "init", params: stages.Params{"arch": "mlp-shallow", "input": []int{1, 6, 6}, "classes": 3, "channels": []int{2}, "hidden": []int{8}}},
	{name: "train", params: stages.Params{"epochs": 2, "batch_size": 8, "reg_alpha": 1.0, "reg_start": 1},
		setup: func(t *testing.T, _ stages.Params) stages.Inputs {
			return stages.Inputs{"model": trainable(t), "x": fixed(13, 24, 1, 6, 6), "y": ndarray.Ints(groupsOf(24, 3)...),
				"x_val": fixed(14, 6, 36), "y_val": ndarray.Ints(groupsOf(6, 3)...)}
		}},
	{name: "attack", params: stages.Params{"eps": []float64{0, 0.1}, "steps": 2, "random_start": true},
		setup: func(t *testing.T, _ stages.Params) stages.Inputs {
			return stages.Inputs{"model": trainable(t), "x": unit(15, 12, 36), "y": ndarray.Ints(groupsOf(12, 3)...)}
		}},
	{name: "weight_project", params: stages.Params{"layer": "dense0", "ranks": []int{0, 2, 8}},
		setup: func(t *testing.T, _ stages.Params) stages.Inputs {
			return stages.Inputs{"model": trainable(t), "x": fixed(16, 12, 36), "y": ndarray.Ints(groupsOf(12, 3)...)}
		}},
}

// unit is fixed mapped into [0, 1).
func unit(seed uint64, shape ...int) *ndarray.Array {
	a := fixed(seed, shape...)
	for i, v := range a.F64 {
		a.F64[i] = (v + 1) / 2
	}
	return a
}

// trainable returns the suite's MLP (init: 36 → 8 → 3, seed 0), built once.
func trainable(t *testing.T) stages.Artifact {
	m, err := trainableOnce()
	if err != nil {
		t.Fatalf("building the MLP fixture: %v", err)
	}
	return m
}

var trainableOnce = sync.OnceValues(func() (stages.Artifact, error) {
	st, _ := stages.Lookup("init")
	p := stages.Params{"arch": "mlp-shallow", "input": []int{36}, "classes": 3, "hidden": []int{8}, "channels": []int{16, 32}, "init": "torch-default", "seed": 0}
	out, err := st.Run(context.Background(), nil, nil, p)
	if err != nil {
		return nil, err
	}
	return out["model"], nil
})

// fixed is a float64 array of the given shape filled with values in
// [-1, 1) from a SplitMix64 stream of seed: integer arithmetic only, so
// the fixture's bytes never depend on the Go release or the platform.
func fixed(seed uint64, shape ...int) *ndarray.Array {
	a := ndarray.NewF64(shape...)
	s := seed * 0x9e3779b97f4a7c15
	for i := range a.F64 {
		s += 0x9e3779b97f4a7c15
		z := (s ^ s>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		a.F64[i] = float64(z>>11)/(1<<52) - 1
	}
	return a
}

// groupsOf labels n rows with groups 0..g-1 in consecutive blocks.
func groupsOf(n, g int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i * g / n
	}
	return out
}

// convnet returns the suite's convnet6 (powerlaw_init, alpha 1, one input
// channel), built once.
func convnet(t *testing.T) stages.Artifact {
	m, err := convnetOnce()
	if err != nil {
		t.Fatalf("building the convnet6 fixture: %v", err)
	}
	return m
}

var convnetOnce = sync.OnceValues(func() (stages.Artifact, error) {
	st, _ := stages.Lookup("powerlaw_init")
	p := stages.Params{"arch": "convnet6", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 1}
	out, err := st.Run(context.Background(), nil, nil, p)
	if err != nil {
		return nil, err
	}
	return out["model"], nil
})

// npyFixture writes a 6×4 float64 .npy and points param path at it.
func npyFixture(t *testing.T, p stages.Params) stages.Inputs {
	p["path"] = writeFile(t, "x.npy", func(f *os.File) error { return ndarray.WriteNPY(f, fixed(12, 6, 4)) })
	return nil
}

// recordingH5 is the load stage's HDF5 fixture (stages/testdata/hdf5,
// written by make_recording.py), found before any row changes directory.
var recordingH5 = must(filepath.Abs("../testdata/hdf5/recording.h5"))

// hdf5Fixture copies the recording into the working directory and points
// param path at it.
func hdf5Fixture(t *testing.T, p stages.Params) stages.Inputs {
	data, err := os.ReadFile(recordingH5)
	if err != nil {
		t.Fatal(err)
	}
	p["path"] = writeFile(t, "rec.h5", func(f *os.File) error { _, err := f.Write(data); return err })
	return nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// npzFixture writes a .npz holding acts (6×4) as numpy.savez does.
func npzFixture(t *testing.T, p stages.Params) stages.Inputs {
	p["path"] = writeFile(t, "x.npz", func(f *os.File) error {
		z := zip.NewWriter(f)
		w, err := z.Create("acts.npy")
		if err != nil {
			return err
		}
		if err := ndarray.WriteNPY(w, fixed(13, 6, 4)); err != nil {
			return err
		}
		return z.Close()
	})
	return nil
}

// folderFixture writes three 6×5 PNGs of fixed colours.
func folderFixture(t *testing.T, p stages.Params) stages.Inputs {
	const folder = "images"
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, name := range []string{"a.png", "b.png", "c.png"} {
		img := image.NewRGBA(image.Rect(0, 0, 6, 5))
		for i := range img.Pix {
			img.Pix[i] = uint8(i*37 + k*91)
			if i%4 == 3 {
				img.Pix[i] = 255 // opaque
			}
		}
		writeFile(t, filepath.Join(folder, name), func(f *os.File) error { return png.Encode(f, img) })
	}
	p["path"] = folder
	return nil
}

// classFoldersFixture writes the three PNGs of folderFixture as two
// classes: images/a/ holds a.png and b.png, images/b/ holds c.png.
func classFoldersFixture(t *testing.T, p stages.Params) stages.Inputs {
	folderFixture(t, p)
	for _, mv := range [][2]string{{"a.png", "a/a.png"}, {"b.png", "a/b.png"}, {"c.png", "b/c.png"}} {
		if err := os.MkdirAll(filepath.Join("images", filepath.Dir(mv[1])), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join("images", mv[0]), filepath.Join("images", mv[1])); err != nil {
			t.Fatal(err)
		}
	}
	return nil
}

// writeFile creates path, fills it with write and returns path.
func writeFile(t *testing.T, path string, write func(*os.File) error) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// photosAbsent names the first missing photo of the test split the
// photos row reads (its first three), as installed by `make data`.
func photosAbsent() string {
	idx, err := imaging.PhotoSplit("test")
	if err != nil {
		return err.Error()
	}
	for _, i := range idx[:3] {
		if _, err := os.Stat(imaging.Photos[i].Path); err != nil {
			return "photos not installed (make data): " + err.Error()
		}
	}
	return ""
}

// fashionDir is where Debian's dataset-fashion-mnist puts its files (the
// load source's own default).
const fashionDir = "/usr/share/datasets/fashion-mnist"

func fashionAbsent() string {
	for _, f := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		if _, err := os.Stat(filepath.Join(fashionDir, f)); err != nil {
			return "fashion-mnist not installed (make data): " + err.Error()
		}
	}
	return ""
}

// pretrainedAbsent runs the stage's own Defaults and Validate, which
// check that the model was fetched.
func pretrainedAbsent() string {
	st, _ := stages.Lookup("pretrained")
	p := stages.Params{"model": "nsfwjs-mobilenetv2"}
	st.(stages.Defaulter).Defaults(p)
	if err := st.(stages.Validator).Validate(p); err != nil {
		return "pretrained model not fetched: " + err.Error()
	}
	return ""
}
