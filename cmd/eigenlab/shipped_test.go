package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/stages/nn/tfjs"
)

// smallRuns shrinks each shipped experiment to seconds: the same stages,
// params and report, on few images. Every shipped experiment must be here.
var smallRuns = map[string][]string{
	"planted-sweep":           {"n=200", "p=300", "alpha=[0.8,1.3]", "seed=[0,1]"},
	"powerlaw-init-spectra":   {"n_images=60", "size=16", "weight_alpha=[0.0,2.0]"},
	"townley-channel-vs-full": {"n_patches=40", "patch=96"},
	"townley-powerlaw-init":   {"n_patches=40", "weight_alpha=[0.0,0.5,2.0]", "seed=[0,1]", "k=200", "permutations=20"},
	"shen-crossdecomp-layers": {"n_patches=40", "patch=96", "k=50", "permutations=20", "bootstraps=20"},
	"shen-channel-vs-spatial": {"n_patches=40", "patch=96", "features=[2352,9408]", "k_target=200", "permutations=20"},
	"guth-weight-alignment":   {"n_patches=40", "seed=[1,2]"},
	"brain-data-template":     {"size=48", "k=100", "ranks=[2,20]", "permutations=20", "bootstraps=20", "layer=[Conv1_relu,out_relu]"},
	"stringer-cvpca-template": {"ranks=[2,20]", "bootstraps=20"},
	// The photos (and MobileNetV2's activations) of the shen and townley
	// runs: loaded once for all of them.
	"canatar-spectral-theory": {"n_patches=40", "patch=96", "k=200", "k_target=20", "trials=3", "ps=[5,10,20]", "seed=[0]", "layer=[Conv1_relu,block_13_expand_relu]"},
	// Two patches per photo: a manifold needs two points.
	"chung-manifold-capacity-layers": {"n_images=100", "size=75", "k=100", "n_t=20", "points=10", "n_patches=74", "patch=75", "seed=[0,1]",
		"mobilenet_layer=[Conv1_relu,out_relu]", "inception_layer=[mixed0,mixed10]", "untrained_layer=[conv2,conv6]"},
	"nassar-spectral-regularizer": {"n_train=300", "n_test=100", "epochs=1", "batch_size=100",
		"reg_alpha=[0.0,1.0,2.0,3.0]", "seed=[0,1]", "eps=[0.05]"},
	"guth-trained-pairs": {"n_train=300", "n_half=150", "n_test=100", "n_probe=60", "epochs=1", "top=10"},
}

// userData are the --set values that give the templates a user's files:
// images written by brainImages (as many as the recording's stimuli) and
// the committed synthetic recording (make_brain_h5.py).
func userData(t *testing.T) map[string][]string {
	t.Helper()
	recording := "recording=" + must(filepath.Abs(brainRecording))
	return map[string][]string{
		"brain-data-template":     {"images=" + brainImages(t, brainStimuli, 48), recording},
		"stringer-cvpca-template": {recording},
	}
}

// TestShippedExperimentsRunAndReport runs every shipped experiment, small,
// end to end through the binary, writes its report, and checks that every
// finding was computed (not left without results). Experiments on the
// pretrained nsfwjs networks need `make models`; they are skipped without
// it, except under CI, which installs it.
func TestShippedExperimentsRunAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every shipped experiment")
	}
	_, modelErr := tfjs.DefaultDir("nsfwjs-mobilenetv2")
	if modelErr == nil {
		_, modelErr = tfjs.ModelFiles(must(tfjs.DefaultDir("nsfwjs-mobilenetv2")))
	}
	s := newState(t)
	user := userData(t)
	for _, name := range experiments.Shipped() {
		sets, ok := smallRuns[name]
		if !ok {
			t.Errorf("shipped experiment %s has no small run in smallRuns", name)
			continue
		}
		sets = append(slices.Clone(sets), user[name]...)
		t.Run(name, func(t *testing.T) {
			if usesPretrained(t, name) && modelErr != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("the nsfwjs models are missing under CI: %v", modelErr)
				}
				t.Skipf("the nsfwjs models are not installed (make models): %v", modelErr)
			}
			args := []string{"run", name}
			for _, kv := range sets {
				args = append(args, "--set", kv)
			}
			if out, code := s.run(t, args...); code != 0 {
				t.Fatalf("run (exit %d):\n%s", code, tail(out, 40))
			}
			dir := filepath.Join(s.dir, "report-"+name)
			args = append([]string{"report", name, "-o", dir}, args[2:]...)
			out, code := s.run(t, args...)
			if code != 0 {
				t.Fatalf("report (exit %d):\n%s", code, out)
			}
			if !strings.Contains(out, " 0 of ") {
				t.Errorf("report has cells without a result: %s", out)
			}
			page, err := os.ReadFile(filepath.Join(dir, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(page), "no cell has results") {
				t.Errorf("a finding found no results:\n%s", out)
			}
		})
	}
}

func usesPretrained(t *testing.T, name string) bool {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "experiments", "shipped", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(src), "kind: pretrained")
}

// brainImages writes what brain-data-template expects from a user beside
// the recording: a folder of n size×size PNG images (noisy uniform colours),
// one per stimulus in sorted file-name order; it returns the folder.
func brainImages(t *testing.T, n, size int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		base := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				var px [3]uint8
				for c := range px {
					px[c] = uint8(min(255, max(0, 255*(base[c]+0.2*rng.NormFloat64()))))
				}
				img.Set(x, y, color.RGBA{px[0], px[1], px[2], 255})
			}
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("img%03d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	return strings.Join(ls[max(0, len(ls)-lines):], "\n")
}

// Extending a sweep runs only the new cells, and the report of the
// extended sweep includes them.
func TestExtendedSweepRunsOnlyNewCells(t *testing.T) {
	s := newState(t)
	base := []string{"--set", "n=200", "--set", "p=300", "--set", "seed=[0]"}
	run := func(alphas string) string {
		t.Helper()
		out, code := s.run(t, append([]string{"run", "planted-sweep", "--set", "alpha=" + alphas}, base...)...)
		if code != 0 {
			t.Fatalf("run alpha=%s (exit %d):\n%s", alphas, code, out)
		}
		return out
	}
	run("[0.8,1.0]")
	// Each cell is a load and a spectrum: the new α adds two executions.
	if out := run("[0.8,1.0,1.3]"); !strings.Contains(out, ": 2 executed, 4 cached, 0 failed") {
		t.Errorf("extended sweep did not run exactly the new cell:\n%s", out)
	}
	dir := filepath.Join(s.dir, "report")
	out, code := s.run(t, append([]string{"report", "planted-sweep", "-o", dir, "--set", "alpha=[0.8,1.0,1.3]"}, base...)...)
	if code != 0 || !strings.Contains(out, "0 of 3 cells without a result") {
		t.Fatalf("report of the extended sweep (exit %d): %s", code, out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !strings.Contains(string(page), "planted-sweep:spectrum.alpha@alpha=1.3,seed=0") {
		t.Errorf("the report does not cite the new cell's α (%v)", err)
	}
}
