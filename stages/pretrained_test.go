package stages

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/tfjs"
)

// pretrainedParams returns the params of a pretrained stage after the
// parser's Defaults and Validate, skipping when nsfwjs is absent locally
// and failing when it is absent under CI (scripts/setup.sh fetches it).
func pretrainedParams(t *testing.T, model string) Params {
	t.Helper()
	p := Params{"model": model}
	pretrained{}.Defaults(p)
	if err := (pretrained{}).Validate(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the pretrained model is missing: %v", err)
		}
		t.Skipf("pretrained model not fetched: %v", err)
	}
	return p
}

func TestPretrainedDefaultsAndValidate(t *testing.T) {
	root := t.TempDir()
	t.Setenv("EIGENLAB_MODELS", root)
	p := Params{"model": "nsfwjs-mobilenetv2"}
	pretrained{}.Defaults(p)
	want := filepath.Join(root, "nsfwjs-4.3.0", "package", "dist", "models", "mobilenet_v2")
	if p.String("dir") != want {
		t.Fatalf("default dir %q, want %q", p.String("dir"), want)
	}
	err := pretrained{}.Validate(p)
	if err == nil || !strings.Contains(err.Error(), "fetch-models.sh") {
		t.Fatalf("Validate on an empty cache: %v; want an error naming scripts/fetch-models.sh", err)
	}
	// An explicit dir is kept, and the weights' content enters the action
	// key through ParamSpec.File.
	q := Params{"model": "nsfwjs-mobilenetv2", "dir": "/elsewhere"}
	pretrained{}.Defaults(q)
	if q.String("dir") != "/elsewhere" {
		t.Fatalf("Defaults replaced an explicit dir: %q", q.String("dir"))
	}
	if spec, _ := Spec(pretrained{}, "dir"); !spec.File {
		t.Fatal("param dir is not a File param: edited weights would be served from the cache")
	}
}

// TestPretrainedModelArtifact imports MobileNetV2, round-trips the model
// artifact through its .npz form and extracts a backbone layer.
func TestPretrainedModelArtifact(t *testing.T) {
	p := pretrainedParams(t, "nsfwjs-mobilenetv2")
	out, err := pretrained{}.Run(context.Background(), nil, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	m := out["model"].(*Model)
	if got := m.Describe(); !strings.Contains(got, "160 nodes") || !strings.Contains(got, "266 weights") {
		t.Errorf("Describe = %q; want 160 nodes and 266 weights", got)
	}
	var buf bytes.Buffer
	if err := writeModel(&buf, m); err != nil {
		t.Fatal(err)
	}
	back, err := readModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != m.Digest() {
		t.Error("model digest changed across its .npz round trip")
	}
	for _, w := range back.Weights {
		if w.DType() != ndarray.Float32 {
			t.Fatalf("imported weights are %s; want float32", w.DType())
		}
	}
	// The compiled net exposes the Keras layer names with nn (C,H,W) shapes.
	net, err := back.Net(224, 224)
	if err != nil {
		t.Fatal(err)
	}
	for layer, want := range map[string][]int{"block_6_expand_relu": {192, 28, 28}, "out_relu": {1280, 7, 7}, "dense_3": {5}} {
		s, err := net.Shape(layer)
		if err != nil || !slices.Equal(s, want) {
			t.Errorf("layer %s: shape %v (%v); want %v", layer, s, err, want)
		}
	}
}

func TestPretrainedRejectsWrongFolder(t *testing.T) {
	p := pretrainedParams(t, "nsfwjs-mobilenetv2")
	// InceptionV3's folder under the MobileNetV2 name: wrong input size.
	dir, err := tfjs.DefaultDir("nsfwjs-inceptionv3")
	if err != nil {
		t.Fatal(err)
	}
	p["dir"] = dir
	_, err = pretrained{}.Run(context.Background(), nil, nil, p)
	if err == nil || !strings.Contains(err.Error(), "299") {
		t.Fatalf("Run on the InceptionV3 folder as MobileNetV2: %v; want an input-size error", err)
	}
}
