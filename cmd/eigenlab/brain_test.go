package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/tfjs"
)

// brainTemplate is the shipped HDF5 brain template under test.
const brainTemplate = "brain-data-template"

// brainRecording is the committed synthetic recording (make_brain_h5.py):
// brainStimuli stimuli × 2 repeats × 96 units in two areas.
const (
	brainRecording = "testdata/brain_recording.h5"
	brainStimuli   = 256
)

// plantedAlpha is the α of each area of testdata/brain_recording.h5
// (make_brain_h5.py), in the order of its sorted area labels 1, 2.
var plantedAlpha = []float64{1.0, 1.5}

// The brain template runs end to end on a synthetic recording with repeats
// and two areas (256 stimuli, noise σ = 0.1 on signal spectra k^-1 and
// k^-1.5) and recovers each area's planted α within its bootstrap CI and
// within 0.15, and the report renders with every cell computed.
func TestBrainTemplateRecoversPlantedAlpha(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the brain template end to end")
	}
	if _, err := tfjs.ModelFiles(must(tfjs.DefaultDir("nsfwjs-mobilenetv2"))); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the nsfwjs models are missing under CI: %v", err)
		}
		t.Skipf("the nsfwjs models are not installed (make models): %v", err)
	}
	s := newState(t)
	sets := []string{"--set", "images=" + brainImages(t, brainStimuli, 48), "--set", "recording=" + must(filepath.Abs(brainRecording)),
		"--set", "size=48", "--set", "k=100", "--set", "ranks=[2,20]", "--set", "permutations=20", "--set", "bootstraps=100",
		"--set", "layer=[Conv1_relu,out_relu]"}
	if out, code := s.run(t, append([]string{"run", brainTemplate}, sets...)...); code != 0 {
		t.Fatalf("run (exit %d):\n%s", code, tail(out, 40))
	}
	alpha, ci := exportArray(t, s, "brain-data-template:area_spectra.alpha"), exportArray(t, s, "brain-data-template:area_spectra.alpha_ci")
	for g, want := range plantedAlpha {
		lo, hi := ci.F64[2*g], ci.F64[2*g+1]
		if !(lo <= want && want <= hi) || alpha.F64[g] < want-0.15 || alpha.F64[g] > want+0.15 {
			t.Errorf("area %d: alpha %.3f, CI [%.3f, %.3f]; planted %.1f", g+1, alpha.F64[g], lo, hi, want)
		}
	}
	dir := filepath.Join(s.dir, "report")
	if out, code := s.run(t, append([]string{"report", brainTemplate, "-o", dir}, sets...)...); code != 0 {
		t.Fatalf("report (exit %d):\n%s", code, out)
	}
}

// exportArray exports one output through the binary and reads it back.
func exportArray(t *testing.T, s state, ref string) *ndarray.Array {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.npy")
	if out, code := s.run(t, "export", ref, "-o", path); code != 0 {
		t.Fatalf("export %s: exit %d\n%s", ref, code, out)
	}
	a, err := ndarray.ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
