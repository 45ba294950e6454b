package runner

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// chunked is a fake stage that writes its output "x" through Scratch.CreateArray,
// a row at a time, as extract does; with fail it stops halfway.
type chunked struct{}

// seen records, per stage label, the Go type of the input a probe got and
// how many times chunked ran.
var seen sync.Map

func init() {
	stages.Register(chunked{})
	stages.Register(probe{})
}

func (chunked) Kind() string                             { return "test_chunked" }
func (chunked) Version() string                          { return "1" }
func (chunked) Doc() string                              { return "test stage writing a float32 array row by row" }
func (chunked) Inputs() []stages.InputSpec               { return nil }
func (chunked) Outputs(stages.Params) []string           { return []string{"x"} }
func (chunked) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }

func (chunked) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "shape", Type: stages.IntList},
		{Name: "fail", Type: stages.Bool, Default: false},
	}
}

// chunkedValues is row i of the test array: deterministic, full rank,
// varied scales.
func chunkedValues(i, size int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	row := make([]float32, size)
	for j := range row {
		row[j] = float32(rng.NormFloat64() * (1 + float64(j%7)))
	}
	return row
}

func (chunked) Run(_ context.Context, scratch *ndarray.Scratch, _ stages.Inputs, p stages.Params) (stages.Outputs, error) {
	v, _ := seen.LoadOrStore("chunked runs", new(int))
	*v.(*int)++
	shape := p.Ints("shape")
	w, err := scratch.CreateArray(ndarray.Float32, shape)
	if err != nil {
		return nil, err
	}
	size := 1
	for _, d := range shape[1:] {
		size *= d
	}
	for i := 0; i < shape[0]; i++ {
		if p.Bool("fail") && i == shape[0]/2 {
			return nil, errors.New("planned failure halfway")
		}
		if err := w.WriteFloat32s(chunkedValues(i, size)); err != nil {
			return nil, err
		}
	}
	f, err := w.Close()
	if err != nil {
		return nil, err
	}
	return stages.Outputs{"x": f}, nil
}

// probe records the type of its input x.
type probe struct{}

func (probe) Kind() string    { return "test_probe" }
func (probe) Version() string { return "1" }
func (probe) Doc() string     { return "test stage recording its input's type" }
func (probe) Params() []stages.ParamSpec {
	return []stages.ParamSpec{{Name: "label", Type: stages.String}}
}
func (probe) Inputs() []stages.InputSpec               { return []stages.InputSpec{{Name: "x"}} }
func (probe) Outputs(stages.Params) []string           { return []string{"n"} }
func (probe) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }

func (probe) Run(_ context.Context, _ *ndarray.Scratch, in stages.Inputs, p stages.Params) (stages.Outputs, error) {
	_, file := in["x"].(*ndarray.ArrayFile)
	seen.Store(p.String("label"), file)
	x, err := in.Array("x") // every stage can still load it
	if err != nil {
		return nil, err
	}
	return stages.Outputs{"n": ndarray.Scalar(float64(x.Len()))}, nil
}

const streamed = `
name: streamed
params: {fail: false}
stages:
  gen:
    kind: test_chunked
    params: {shape: [30, 24, 4, 4], fail: ${fail}}
  full:
    kind: spectrum
    inputs: {x: gen}
  channel:
    kind: spectrum
    inputs: {x: gen}
    params: {view: channel}
  spatial:
    kind: spectrum
    inputs: {x: gen}
    params: {view: spatial}
  probe:
    kind: test_probe
    inputs: {x: gen}
    params: {label: probe}
`

// outputsOf returns every output digest of a run by "stage.output".
func outputsOf(r *Runner, s *Summary) map[string]ndarray.Digest {
	out := map[string]ndarray.Digest{}
	for _, n := range s.nodes {
		for _, o := range saved(r, n) {
			name, d := o.Name, o.Digest
			out[n.inst.Name+"."+name] = d
		}
	}
	return out
}

// A chunked output has the digest of the same values in memory; spectra
// of it read in place from the cache are bit-identical to those of it
// decoded into memory, in every view; the scratch is left empty.
func TestStreamedInputsMatchInMemory(t *testing.T) {
	want := ndarray.NewF32(30, 24, 4, 4)
	for i := 0; i < 30; i++ {
		copy(want.F32[i*384:], chunkedValues(i, 384))
	}
	runs := map[string]map[string]ndarray.Digest{}
	for _, tc := range []struct {
		name        string
		streamAbove int64
		file        bool
	}{
		{"in memory", 0, false},
		{"streamed", 1, true},
	} {
		r := newRunner(t)
		r.StreamAbove = tc.streamAbove
		runs[tc.name] = outputsOf(r, run(t, r, plan(t, streamed), 2))
		if got := runs[tc.name]["gen.x"]; got != want.Digest() {
			t.Errorf("%s: chunked output digest %s, want that of the array in memory %s", tc.name, got.Short(), want.Digest().Short())
		}
		if file, _ := seen.Load("probe"); file != tc.file {
			t.Errorf("%s: probe got an ArrayFile: %v, want %v", tc.name, file, tc.file)
		}
		if left, _ := os.ReadDir(r.Cache.TempDir()); len(left) != 0 {
			t.Errorf("%s: the cache's tmp holds %d files after the run", tc.name, len(left))
		}
	}
	for name, d := range runs["in memory"] {
		if runs["streamed"][name] != d {
			t.Errorf("%s: streamed %s, in memory %s", name, runs["streamed"][name].Short(), d.Short())
		}
	}
}

// A stage that fails halfway through a chunked output leaves no file.
func TestFailedChunkedOutputLeavesNothing(t *testing.T) {
	r := newRunner(t)
	_, err := r.Run(context.Background(), plan(t, streamed, "fail=true"), Options{Jobs: 1})
	if !errors.Is(err, ErrStageFailed) || !strings.Contains(err.Error(), "planned failure halfway") {
		t.Fatalf("run: %v; want the planned failure", err)
	}
	if left, _ := os.ReadDir(r.Cache.TempDir()); len(left) != 0 {
		t.Errorf("the cache's tmp holds %d files after the failed run", len(left))
	}
}

// A streamed input whose blob was truncated or altered is caught by the
// check before the stage runs: evicted, its producer rerun, the consumer
// given the same bytes as before. So is a blob whose header claims a huge
// shape, streamed or decoded into memory (which used to panic every run).
func TestCorruptStreamedInputIsRecomputed(t *testing.T) {
	for _, tc := range []struct {
		name        string
		edit        func(b []byte) []byte
		streamAbove int64
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)-5] ^= 0x40; return b }, 1},
		{"truncated", func(b []byte) []byte { return b[:len(b)-100] }, 1},
		{"huge shape, streamed", hugeShape, 1},
		{"huge shape, in memory", hugeShape, DefaultStreamAbove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// As for a blob of 64 MB or more: not re-hashed when found,
			// decoded (or streamed) straight away.
			defer func(v int64) { verifyBelow = v }(verifyBelow)
			verifyBelow = 0
			r := newRunner(t)
			r.StreamAbove = tc.streamAbove
			p := plan(t, streamed)
			first := outputsOf(r, run(t, r, p, 1))
			path := r.Cache.BlobPath(first["gen.x"])
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.edit(b), 0o644); err != nil {
				t.Fatal(err)
			}
			seen.Store("chunked runs", new(int))
			s, err := r.Run(context.Background(), p, Options{Jobs: 1, Force: []string{"full"}})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := seen.Load("chunked runs")
			if runs := *v.(*int); runs != 1 {
				t.Errorf("producer ran %d times after the corruption, want 1", runs)
			}
			if again := outputsOf(r, s); again["full.eigenvalues"] != first["full.eigenvalues"] {
				t.Error("spectrum differs after the recomputation")
			}
			if err := r.Cache.Verify(first["gen.x"], Rehash); err != nil {
				t.Errorf("blob after recomputation: %v", err)
			}
			if left, _ := os.ReadDir(filepath.Join(r.Cache.Dir(), "tmp")); len(left) != 0 {
				t.Errorf("the cache's tmp holds %d files", len(left))
			}
		})
	}
}

// hugeShape edits a .npy blob's header to claim (100000000, 100000000),
// keeping the header's length.
func hugeShape(b []byte) []byte {
	start := bytes.Index(b, []byte("'shape': (")) + len("'shape': ")
	end := start + bytes.IndexByte(b[start:], ')') + 1
	pad := bytes.IndexByte(b, '\n') - bytes.LastIndexByte(b[:bytes.IndexByte(b, '\n')], '}') - 1
	huge := []byte("(100000000, 100000000)")
	grow := len(huge) - (end - start)
	if grow > pad {
		panic("header has no room for the huge shape")
	}
	out := append(append(append([]byte{}, b[:start]...), huge...), b[end:]...)
	nl := bytes.IndexByte(out, '\n')
	return append(out[:nl-grow], out[nl:]...)
}

// `eigenlab verify` recomputes a chunked producer and a streaming consumer
// exactly, and keeps none of the recomputed files.
func TestRecomputeChunkedAndStreamed(t *testing.T) {
	r := newRunner(t)
	r.StreamAbove = 1
	s := run(t, r, plan(t, streamed), 1)
	execs, err := r.DB.Executions(context.Background(), s.RunID)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range execs {
		if e.Stage != "gen" && e.Stage != "full" {
			continue
		}
		checks, err := r.Recompute(context.Background(), e)
		if err != nil {
			t.Fatalf("%s: %v", e.Stage, err)
		}
		for _, c := range checks {
			checked++
			if !c.Exact() {
				t.Errorf("%s.%s: recomputed %s, recorded %s", e.Stage, c.Output, c.Got.Short(), c.Want.Short())
			}
		}
	}
	if checked == 0 {
		t.Fatal("no execution of gen or full was found")
	}
	if left, _ := os.ReadDir(r.Cache.TempDir()); len(left) != 0 {
		t.Errorf("the cache's tmp holds %d files after the recomputations", len(left))
	}
}
