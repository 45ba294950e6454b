package stages

import (
	"archive/zip"
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn"
)

// tinyModel is a one-conv, one-BN model with fixed weights.
func tinyModel() *Model {
	a := nn.Arch{Format: nn.Format, Name: "tiny", Nodes: []nn.Node{
		{Name: "input", Op: nn.OpInput, Channels: 2},
		{Name: "conv", Op: nn.OpConv, Inputs: []string{"input"}, Channels: 3, Kernel: []int{1, 1}, Stride: []int{1, 1}, Padding: "valid", Bias: true},
		{Name: "bn", Op: nn.OpBatchNorm, Inputs: []string{"conv"}, Epsilon: 1e-3},
	}}
	m := &Model{Arch: a, Weights: map[string]*ndarray.Array{
		"conv/kernel": {Shape: []int{3, 2, 1, 1}, F32: []float32{1, -2, 0.5, 3, -1, 0.25}},
		"conv/bias":   {Shape: []int{3}, F32: []float32{0.1, 0, -0.1}},
	}}
	for i, p := range []string{"gamma", "beta", "mean", "var"} {
		m.Weights["bn/"+p] = &ndarray.Array{Shape: []int{3}, F64: []float64{1 + float64(i), 0.5, 2}}
	}
	return m
}

func roundTrip(t *testing.T, a Artifact) Artifact {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteArtifact(&buf, a); err != nil {
		t.Fatal(err)
	}
	if h, err := PeekHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil || h.Kind != "model" {
		t.Fatalf("PeekHeader = %+v, %v; want kind model", h, err)
	}
	back, err := ReadArtifact(&buf, int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestModelRoundTrip writes and reads models (float32 and float64
// weights) and requires equal content and digests.
func TestModelRoundTrip(t *testing.T) {
	out, err := powerlawInit{}.Run(context.Background(), nil, nil, Params{"arch": "resnet-small", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{tinyModel(), out["model"].(*Model)} {
		back, err := AsModel(roundTrip(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if back.Digest() != m.Digest() || !reflect.DeepEqual(back.Arch, m.Arch) {
			t.Fatalf("%s: round trip changed the model", m.Describe())
		}
		for name, w := range m.Weights {
			if !reflect.DeepEqual(back.Weights[name], w) {
				t.Fatalf("weight %q changed", name)
			}
		}
	}
}

// TestModelDigest pins the digest of a fixed model (a change means cached
// models are invalidated: bump the domain tag on purpose, never by
// accident) and checks what it depends on.
func TestModelDigest(t *testing.T) {
	const pinned = "f6b0403b040958c0db0a78e581777c51caba56d625ad97414ca539a70972d869"
	base := tinyModel()
	if got := base.Digest().String(); got != pinned {
		t.Errorf("digest %s, pinned %s", got, pinned)
	}
	for _, tc := range []struct {
		name string
		edit func(m *Model)
	}{
		{"weight value", func(m *Model) { m.Weights["conv/bias"].F32[1] = 1e-7 }},
		{"epsilon", func(m *Model) { m.Arch.Nodes[2].Epsilon = 1e-5 }},
		{"arch name", func(m *Model) { m.Arch.Name = "tiny2" }},
		{"weight name", func(m *Model) { m.Weights["conv/bias2"] = m.Weights["conv/bias"]; delete(m.Weights, "conv/bias") }},
		{"dtype", func(m *Model) { m.Weights["conv/bias"] = &ndarray.Array{Shape: []int{3}, F64: []float64{0.1, 0, -0.1}} }},
	} {
		m := tinyModel()
		tc.edit(m)
		if m.Digest() == base.Digest() {
			t.Errorf("%s: digest unchanged", tc.name)
		}
	}
}

// TestModelBadBlobs checks that corrupt model blobs are errors.
func TestModelBadBlobs(t *testing.T) {
	var good bytes.Buffer
	if err := WriteArtifact(&good, tinyModel()); err != nil {
		t.Fatal(err)
	}
	noArch := new(bytes.Buffer)
	z := zip.NewWriter(noArch)
	f, _ := z.Create("conv/kernel.npy")
	ndarray.WriteNPY(f, ndarray.NewF32(2))
	z.Close()
	unknownField := new(bytes.Buffer)
	z = zip.NewWriter(unknownField)
	f, _ = z.Create(archEntry)
	f.Write([]byte(`{"format":1,"name":"x","nodes":[],"layers":3}`))
	z.Close()
	for _, tc := range []struct {
		name string
		blob []byte
		want string
	}{
		{"truncated", good.Bytes()[:good.Len()/2], "not a valid .npz"},
		{"no arch", noArch.Bytes(), "has no __arch__.json"},
		{"unknown field", unknownField.Bytes(), `unknown field "layers"`},
	} {
		_, err := ReadArtifact(bytes.NewReader(tc.blob), int64(len(tc.blob)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
