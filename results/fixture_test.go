package results

import (
	"context"
	"crypto/sha256"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
)

// dg is a made-up digest named by text.
func dg(parts ...string) ndarray.Digest {
	return ndarray.Digest(sha256.Sum256([]byte(strings.Join(parts, "|"))))
}

// cell is one cell of the fixture experiment: its axis values and the
// causes a test may change between runs.
type cell struct {
	alpha, seed string
	specVersion string // version of the spectrum stage
	kmin        string // param of the fit stage
}

// value is the fit's cited alpha: the planted alpha plus a seed-dependent error.
func (c cell) value() float64 {
	a, _ := strconv.ParseFloat(c.alpha, 64)
	s, _ := strconv.ParseFloat(c.seed, 64)
	return a + 0.01*s
}

func (c cell) withDefaults() cell {
	if c.specVersion == "" {
		c.specVersion = "1"
	}
	if c.kmin == "" {
		c.kmin = "1"
	}
	return c
}

// fixture records runs of a three-stage experiment, data -> spec -> fit:
// data depends on alpha only, spec and fit on alpha and seed. Digests and
// keys are pure functions of their causes, as in a real cache, so a rerun
// with unchanged causes records "cached" executions of the same keys.
type fixture struct {
	t     testing.TB
	db    *DB
	clock time.Time
	keys  map[string]bool // action keys computed so far
}

func newFixture(t testing.TB) *fixture {
	db, err := OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, db: db, clock: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), keys: map[string]bool{}}
	db.now = func() time.Time { f.clock = f.clock.Add(time.Second); return f.clock }
	return f
}

// run records one ok run of the cells with the given code revision and
// BLAS backend and returns its id.
func (f *fixture) run(code, blas string, cells ...cell) int64 {
	ctx := context.Background()
	id, err := f.db.BeginRun(ctx, Run{Experiment: "exp", File: "exp.yaml", YAML: "name: exp\n", Args: []string{"run", "exp.yaml"},
		Host: "h", PID: 7, Code: Code{Version: "v0.1.0", Revision: code}, Env: map[string]string{"blas": blas, "go": "go1.26"}})
	if err != nil {
		f.t.Fatal(err)
	}
	doneData := map[string]bool{}
	for _, c := range cells {
		c = c.withDefaults()
		x := dg("x", c.alpha)
		if !doneData[c.alpha] {
			doneData[c.alpha] = true
			f.exec(id, "data", "alpha="+c.alpha, "load", "1", map[string]string{"alpha": c.alpha}, nil, Edge{Name: "x", Digest: x, Kind: "array", DType: "float32", Shape: []int{10, 20}, Bytes: 928}, nil)
		}
		lam := dg("lambda", c.alpha, c.seed, c.specVersion)
		cl := "alpha=" + c.alpha + ",seed=" + c.seed
		f.exec(id, "spec", cl, "spectrum", c.specVersion, map[string]string{"view": `"full"`, "seed": c.seed},
			[]Edge{{Name: "x", Digest: x}}, Edge{Name: "lambda", Digest: lam, Kind: "array", DType: "float64", Shape: []int{10}, Bytes: 208}, nil)
		f.exec(id, "fit", cl, "powerlaw", "1", map[string]string{"kmin": c.kmin},
			[]Edge{{Name: "lambda", Digest: lam}}, Edge{Name: "alpha", Digest: dg("alpha", c.alpha, c.seed, c.specVersion, c.kmin), Kind: "array", DType: "float64", Shape: []int{}, Bytes: 128},
			map[string]float64{"alpha": c.value()})
	}
	if err := f.db.EndRun(ctx, id, "ok"); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// exec records one execution; its key is the hash of its kind, version,
// params and inputs, and it is "cached" if that key was computed before.
func (f *fixture) exec(run int64, stage, cl, kind, version string, params map[string]string, in []Edge, out Edge, cite map[string]float64) int64 {
	lines := []string{"kind " + kind, "version " + version}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		lines = append(lines, "param "+k+"="+params[k])
	}
	for _, g := range in {
		lines = append(lines, "input "+g.Name+"="+g.Digest.String())
	}
	keyText := strings.Join(lines, "\n")
	key := dg(keyText).String()
	status := "ok"
	if f.keys[key] {
		status = "cached"
	}
	f.keys[key] = true
	e := Execution{RunID: run, Stage: stage, Cell: cl, InstanceID: stage + "@" + cl, Kind: kind, Version: version,
		ActionKey: key, KeyText: keyText, Status: status, Started: f.db.now(), Ended: f.db.now(), Wall: 0.5, CPU: 0.4,
		PeakRSS: 1 << 20, Host: "h", Executor: "local", Params: params, Inputs: in, Outputs: []Edge{out}}
	if seed, ok := params["seed"]; ok {
		s, err := strconv.Atoi(seed)
		if err != nil {
			f.t.Fatal(err)
		}
		e.Seed = &s
	}
	e.Cite = cite
	id, err := f.db.RecordExecution(context.Background(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}
