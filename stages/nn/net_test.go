package nn

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

// builtinNet compiles a built-in architecture with power-law weights.
func builtinNet(t testing.TB, name string, size int) *Net {
	t.Helper()
	a, err := Builtin(name, 3)
	if err != nil {
		t.Fatal(err)
	}
	return compiled(t, a, 7, size)
}

// compiled is arch a with power-law weights of the given seed, compiled
// for size×size inputs.
func compiled(t testing.TB, a *Arch, seed uint64, size int) *Net {
	t.Helper()
	ws, err := InitPowerLaw(a, seed, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	net, err := Compile(a, ws, size, size)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// randomImages returns a loader of n deterministic random images.
func randomImages(n, size int) Loader {
	imgs := randoms(rand.New(rand.NewPCG(11, 12)), n*size)
	return func(i int, dst []float64) { copy(dst, imgs[i*size:(i+1)*size]) }
}

// extractAll collects the layers of n images, concatenated over batches.
func extractAll(t testing.TB, net *Net, n, batch int, layers []string) [][]float32 {
	t.Helper()
	out := make([][]float32, len(layers))
	err := net.Extract(context.Background(), n, randomImages(n, net.InputShape().Size()), layers, batch, func(b Batch) error {
		for k := range out {
			out[k] = append(out[k], b.Acts[k]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeterministicAcrossThreadsAndBatches requires bit-identical
// activations with 1, 2 and 3 workers (GOMAXPROCS) and different batch
// sizes.
func TestDeterministicAcrossThreadsAndBatches(t *testing.T) {
	for _, tc := range []struct {
		arch   string
		layers []string
	}{
		{"convnet6", []string{"conv2", "pool2", "conv6"}},
		{"resnet-small", []string{"block1", "block4", "pool"}},
	} {
		net := builtinNet(t, tc.arch, 32)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		one := extractAll(t, net, 7, 3, tc.layers)
		for _, run := range []struct{ workers, batch int }{{2, 4}, {3, 7}} {
			runtime.GOMAXPROCS(run.workers)
			got := extractAll(t, net, 7, run.batch, tc.layers)
			for k, layer := range tc.layers {
				if !slices.Equal(one[k], got[k]) {
					t.Errorf("%s %s: activations differ between 1 worker (batch 3) and %d (batch %d)", tc.arch, layer, run.workers, run.batch)
				}
			}
		}
		for k, layer := range tc.layers {
			if slices.Max(one[k]) <= 0 {
				t.Errorf("%s %s: activations are all ≤ 0", tc.arch, layer)
			}
		}
	}
}

// TestDeterministicAcrossCPUs requires the same activation bytes from two
// copies of this test process, one on all CPUs and one pinned to one CPU
// (taskset): there Go has one worker and OpenBLAS's pool one thread, and
// OpenBLAS's sgemm_, which the forward pass bypasses, would pick other
// kernels, k blockings and partitions of the product than on a thread
// pool. Both run OpenBLAS's Haswell kernels where the CPU has them: there
// sgemm_'s partition shows in the last bits.
func TestDeterministicAcrossCPUs(t *testing.T) {
	const child = "EIGENLAB_NN_DIGEST_CHILD"
	if os.Getenv(child) != "" {
		fmt.Printf("digest %x\n", activationDigest(t))
		return
	}
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: nothing to compare")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("no taskset to pin a process to one CPU")
	}
	env := append(os.Environ(), child+"=1")
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		env = append(env, "OPENBLAS_CORETYPE=Haswell")
	}
	digest := func(pin ...string) string {
		args := append(pin, os.Args[0], "-test.run", "^TestDeterministicAcrossCPUs$", "-test.count=1")
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if d, ok := strings.CutPrefix(line, "digest "); ok {
				return d
			}
		}
		t.Fatalf("%v: no digest in\n%s", args, out)
		return ""
	}
	if all, one := digest(), digest(taskset, "-c", "0"); all != one {
		t.Errorf("activations on one CPU (digest %s) differ from those on %d CPUs (%s)", one, runtime.NumCPU(), all)
	}
}

// activationDigest hashes every layer of the built-in nets and of an MLP
// (dense layers) on 5 images, with GOMAXPROCS workers.
func activationDigest(t *testing.T) []byte {
	h := sha256.New()
	for _, net := range []*Net{builtinNet(t, "convnet6", 37), builtinNet(t, "resnet-small", 37), mlpNet(t, 8)} {
		var layers []string
		for _, n := range net.Arch().Nodes {
			layers = append(layers, n.Name)
		}
		for _, acts := range extractAll(t, net, 5, 5, layers) {
			if err := binary.Write(h, binary.LittleEndian, acts); err != nil {
				t.Fatal(err)
			}
		}
	}
	return h.Sum(nil)
}

// mlpNet is input → flatten → dense 1000 (relu) → dense 10 on size×size
// RGB images, with power-law weights: GEMVs large enough for OpenBLAS to
// thread them (the second's bytes changed with the number of CPUs).
func mlpNet(t testing.TB, size int) *Net {
	t.Helper()
	a := &Arch{Format: Format, Name: "mlp", Nodes: []Node{
		{Name: "input", Op: OpInput, Channels: 3, Height: size, Width: size},
		{Name: "flat", Op: OpFlatten, Inputs: []string{"input"}},
		{Name: "fc1", Op: OpDense, Inputs: []string{"flat"}, Channels: 1000, Bias: true, Activation: ActReLU},
		{Name: "fc2", Op: OpDense, Inputs: []string{"fc1"}, Channels: 10, Bias: true},
	}}
	return compiled(t, a, 3, size)
}

// TestBuiltinShapes pins the layer shapes of the built-in architectures.
func TestBuiltinShapes(t *testing.T) {
	for _, tc := range []struct {
		arch, layer string
		want        Shape
	}{
		{"convnet6", "conv1", Shape{32, 64, 64}},
		{"convnet6", "pool1", Shape{32, 32, 32}},
		{"convnet6", "conv4", Shape{64, 32, 32}},
		{"convnet6", "conv6", Shape{128, 16, 16}},
		{"resnet-small", "block2", Shape{16, 64, 64}},
		{"resnet-small", "block3", Shape{32, 32, 32}},
		{"resnet-small", "block6", Shape{64, 16, 16}},
		{"resnet-small", "pool", Shape{64}},
	} {
		got, err := builtinNet(t, tc.arch, 64).Shape(tc.layer)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: shape %v (%v), want %v", tc.arch, tc.layer, got, err, tc.want)
		}
	}
	if _, err := Builtin("vgg19", 3); err == nil {
		t.Error("unknown architecture accepted")
	}
}

// TestResidualIdentity checks the graph plumbing of resnet-small: with
// the convs of blocks 1 and 2 zeroed, BN at init (β = 0, mean 0) keeps the
// residual branches zero, so both blocks pass stem_relu through exactly.
func TestResidualIdentity(t *testing.T) {
	a, _ := Builtin("resnet-small", 1)
	ws, err := InitPowerLaw(a, 1, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2"} {
		clear(ws[name+"/kernel"].Data)
	}
	net, err := Compile(a, ws, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	got := extractAll(t, net, 2, 2, []string{"stem_relu", "block1", "block2", "block3"})
	if !slices.Equal(got[0], got[1]) || !slices.Equal(got[0], got[2]) {
		t.Fatal("block1/block2 differ from stem_relu with zero residual branches")
	}
	if slices.Max(got[3]) <= 0 {
		t.Fatal("block3 is all zero")
	}
}

// TestExtractErrors checks unknown layers and bad batch sizes.
func TestExtractErrors(t *testing.T) {
	net := builtinNet(t, "convnet6", 16)
	noop := func(Batch) error { return nil }
	load := randomImages(1, net.InputShape().Size())
	if err := net.Extract(context.Background(), 1, load, []string{"conv9"}, 4, noop); err == nil || !strings.Contains(err.Error(), "conv6") {
		t.Errorf("unknown layer: %v", err)
	}
	if err := net.Extract(context.Background(), 1, load, []string{"conv1"}, 0, noop); err == nil {
		t.Error("batch 0 accepted")
	}
}

// BenchmarkConvnet6 measures the forward pass to conv6 on 64×64 RGB images
// with 1 worker and with one per CPU (GOMAXPROCS): each worker computes
// its own images, its GEMMs on its own thread.
func BenchmarkConvnet6(b *testing.B) {
	net := builtinNet(b, "convnet6", 64)
	const n = 32
	load := randomImages(n, net.InputShape().Size())
	for _, workers := range slices.Compact([]int{1, runtime.NumCPU()}) {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
			for b.Loop() {
				if err := net.Extract(context.Background(), n, load, []string{"conv6"}, n, func(Batch) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// invertedResidual is a MobileNetV2-like test graph: zero_pad + valid
// strided convolutions, conv/depthwise → batch_norm → relu6 chains, a
// projection batch norm added to a shortcut, an add → relu, an add of three
// inputs and a concat, with random batch-norm statistics.
func invertedResidual(t testing.TB, size int) *Net {
	t.Helper()
	c3 := func(name, in string, c, k, s int, pad string) Node {
		return Node{Name: name, Op: OpConv, Inputs: []string{in}, Channels: c, Kernel: []int{k, k}, Stride: []int{s, s}, Padding: pad}
	}
	dw := func(name, in string, s int, pad string) Node {
		return Node{Name: name, Op: OpDepthwise, Inputs: []string{in}, Kernel: []int{3, 3}, Stride: []int{s, s}, Padding: pad}
	}
	bn := func(name, in string) Node {
		return Node{Name: name, Op: OpBatchNorm, Inputs: []string{in}, Epsilon: 1e-3}
	}
	relu6 := func(name, in string) Node { return Node{Name: name, Op: OpReLU, Inputs: []string{in}, MaxValue: 6} }
	a := &Arch{Format: Format, Name: "inverted-residual", Nodes: []Node{
		input(3),
		{Name: "pad", Op: OpZeroPad, Inputs: []string{"input"}, Pad: []int{0, 1, 0, 1}},
		c3("conv1", "pad", 8, 3, 2, "valid"), bn("bn1", "conv1"), relu6("relu1", "bn1"),
		c3("expand", "relu1", 24, 1, 1, "same"), bn("expand_bn", "expand"), relu6("expand_relu", "expand_bn"),
		dw("dw", "expand_relu", 1, "same"), bn("dw_bn", "dw"), relu6("dw_relu", "dw_bn"),
		c3("project", "dw_relu", 8, 1, 1, "same"), bn("project_bn", "project"),
		{Name: "add", Op: OpAdd, Inputs: []string{"relu1", "project_bn"}},
		c3("expand2", "add", 24, 1, 1, "same"), bn("expand2_bn", "expand2"), relu6("expand2_relu", "expand2_bn"),
		{Name: "pad2", Op: OpZeroPad, Inputs: []string{"expand2_relu"}, Pad: []int{0, 1, 0, 1}},
		dw("dw2", "pad2", 2, "valid"), bn("dw2_bn", "dw2"), relu6("dw2_relu", "dw2_bn"),
		c3("project2", "dw2_relu", 8, 1, 1, "same"), bn("project2_bn", "project2"),
		{Name: "side", Op: OpConv, Inputs: []string{"add"}, Channels: 8, Kernel: []int{1, 1}, Stride: []int{2, 2}, Padding: "same", Bias: true},
		{Name: "add2", Op: OpAdd, Inputs: []string{"side", "project2_bn"}},
		{Name: "add2_relu", Op: OpReLU, Inputs: []string{"add2"}},
		{Name: "pool", Op: OpMaxPool, Inputs: []string{"add2_relu"}, Kernel: []int{1, 1}, Stride: []int{1, 1}, Padding: "valid"},
		{Name: "add3", Op: OpAdd, Inputs: []string{"pool", "side", "add2_relu"}},
		{Name: "cat", Op: OpConcat, Inputs: []string{"add3", "side"}},
		{Name: "gap", Op: OpGlobalAvgPool, Inputs: []string{"cat"}},
		{Name: "dense", Op: OpDense, Inputs: []string{"gap"}, Channels: 5, Bias: true, Activation: ActSoftmax},
	}}
	ws, err := InitPowerLaw(a, 5, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for name, w := range ws {
		switch {
		case strings.HasSuffix(name, "/gamma"), strings.HasSuffix(name, "/var"):
			for i := range w.Data {
				w.Data[i] = 0.5 + rng.Float64()
			}
		case strings.HasSuffix(name, "/beta"), strings.HasSuffix(name, "/mean"), strings.HasSuffix(name, "/bias"):
			for i := range w.Data {
				w.Data[i] = 0.3 * rng.NormFloat64()
			}
		}
	}
	net, err := Compile(a, ws, size, size)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// TestFusionBitIdentical requires every layer's values to be the same
// bytes whether it is requested alone (its producers fused into as few
// steps as possible, the buffers of the others reused) or together with
// every other layer (no fusion), and requested twice in one call.
func TestFusionBitIdentical(t *testing.T) {
	for _, net := range []*Net{invertedResidual(t, 17), builtinNet(t, "resnet-small", 16), builtinNet(t, "convnet6", 16)} {
		names := net.Arch().Names()
		all := extractAll(t, net, 3, 2, names)
		fused := 0
		for k, name := range names {
			alone := extractAll(t, net, 3, 3, []string{name, names[0], name})
			if !slices.Equal(alone[0], all[k]) || !slices.Equal(alone[2], all[k]) {
				t.Errorf("%s %s: values differ when requested alone", net.Arch().Name, name)
			}
			if !slices.Equal(alone[1], all[0]) {
				t.Errorf("%s %s: input differs", net.Arch().Name, name)
			}
			idx := net.arch.Index(name)
			fused += idx + 1 - len(net.plan([]int{idx}).steps)
		}
		if net.Arch().Name != "convnet6" && fused == 0 {
			t.Errorf("%s: nothing was fused", net.Arch().Name)
		}
	}
}
