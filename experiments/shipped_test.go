package experiments

import (
	"os"
	"path/filepath"
	"testing"
)

// TestShippedExperimentsSurviveReview checks the method rules a reviewer
// of the seed papers applies (issue 10) on every shipped experiment:
//   - patches cut from photos overlap, so a stage that cross-validates or
//     bootstraps over them (crossdecomp, encode, spectrum) takes the photo
//     of each patch as its groups;
//   - an α fit of network activations states its rank range (the
//     neural-data default runs into the roll-off of a channel view of
//     ≤ ~100 channels);
//   - a crossdecomp read as a correlation is the centred Pearson r, never
//     the paper code's uncentred form;
//   - a projection along one axis only (channel or spatial SRP) keeps a
//     stated number of features, so the two axes compare at matched size.
func TestShippedExperimentsSurviveReview(t *testing.T) {
	sets := userData(t)
	for _, name := range Shipped() {
		plan, err := Load(name, sets[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, in := range plan.Instances {
			where := name + ": stage " + in.Name
			switch in.Kind {
			case "crossdecomp", "encode", "spectrum":
				if fromPhotos(in) && !hasInput(in, "groups") {
					t.Errorf("%s reads photo patches but takes no groups input (pass photos.photo)", where)
				}
			}
			switch {
			case in.Kind == "spectrum" && fromNetwork(in) && !in.Params.Has("ranks"):
				t.Errorf("%s fits α of network activations without an explicit ranks range", where)
			case in.Kind == "crossdecomp" && in.Params.String("metric") == "correlation-uncentered":
				t.Errorf("%s uses the uncentred parity metric", where)
			case in.Kind == "reduce" && in.Params.String("method") == "srp" && in.Params.String("axes") != "full" && !in.Params.Has("features"):
				t.Errorf("%s projects one axis with k, not a matched number of features", where)
			}
		}
	}
}

// userData gives the templates, which read a user's own files, --set
// values naming paths that exist, so they parse: a plan checks that its
// files exist, while what they hold is checked only when the stages run.
func userData(t *testing.T) map[string][]string {
	t.Helper()
	dir := t.TempDir()
	recording := filepath.Join(dir, "recording.h5")
	if err := os.WriteFile(recording, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string][]string{
		"brain-data-template":     {"images=" + dir, "recording=" + recording},
		"stringer-cvpca-template": {"recording=" + recording},
	}
}

// fromPhotos reports whether an instance depends on a load of photos.
func fromPhotos(in *Instance) bool {
	if in.Kind == "load" && in.Params.String("source") == "photos" {
		return true
	}
	for _, r := range in.Inputs {
		if fromPhotos(r.From) {
			return true
		}
	}
	return false
}

// fromNetwork reports whether an instance depends on extracted activations.
func fromNetwork(in *Instance) bool {
	if in.Kind == "extract" {
		return true
	}
	for _, r := range in.Inputs {
		if fromNetwork(r.From) {
			return true
		}
	}
	return false
}

func hasInput(in *Instance, name string) bool {
	for _, r := range in.Inputs {
		if r.Name == name {
			return true
		}
	}
	return false
}
