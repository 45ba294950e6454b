// Package stagetest is the stage conformance suite (tests only), in the
// manner of restic's backend tests: every registered stage kind, and every
// source of the load stage, runs from one row of a table (rows_test.go)
// through the same checks:
//
//   - its defaults, filled from its ParamSpecs as the parser does, have the
//     spec's Go type and pass the spec's own bounds and Validate;
//   - Run returns exactly the outputs Outputs(p) declares, leaves its inputs
//     unchanged, and every output encodes to a blob with its own digest;
//   - two runs give the same bytes (equal artifact digests);
//   - every bounded param is accepted at its bound and rejected just past
//     it, and the stage runs at each bound and each choice;
//   - NaN in a float array input is a clear error naming the input and,
//     with the params the stage documents for it (row.nanDrops), a drop;
//     never a panic;
//   - each output's digest equals the one pinned in testdata/pins.txt for
//     the stage's version (stages.VersionOf): an output that changes while
//     the version stays fails, asking for a version bump.
//
// The pins are of exact bytes, as the cache keys them, on a reference
// platform TestMain sets up (platform_test.go: OpenBLAS's Prescott kernels
// on 2 threads, which every x86-64 machine with 2 CPUs or more can run).
// Elsewhere (arm64, one CPU, the pure-Go backend) a differing digest is
// only logged; the determinism check holds everywhere.
//
// A registered kind without a row fails TestEveryKindHasARow, so a new
// stage kind is under the suite the moment it registers.
package stagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// sourceParam is the param by which a ParamVersioner (load) picks the
// implementation whose version it reports: each of its choices needs a row.
const sourceParam = "source"

// TestEveryKindHasARow fails for a registered kind or load source without
// a conformance row, and for a row that names none.
func TestEveryKindHasARow(t *testing.T) {
	have := map[string]bool{}
	for _, r := range rows {
		if have[r.name] {
			t.Errorf("two conformance rows named %s", r.name)
		}
		have[r.name] = true
	}
	for _, name := range wantedRows(t) {
		if !have[name] {
			t.Errorf("stage kind %s has no conformance row: add one to rows in stages/stagetest/rows_test.go", name)
		}
		delete(have, name)
	}
	for name := range have {
		if !isVariant(name) {
			t.Errorf("conformance row %s names no registered stage kind or load source", name)
		}
	}
}

// isVariant reports whether row name is "<kind>/<variant>": another mode
// of a registered kind whose version does not follow a param (spectrum on
// responses with repeats, say), under its own row and pins.
func isVariant(name string) bool {
	kind, variant, ok := strings.Cut(name, "/")
	st, registered := stages.Lookup(kind)
	_, perSource := st.(stages.ParamVersioner)
	return ok && variant != "" && registered && !perSource
}

// wantedRows are the registered kinds, a kind whose version follows its
// source param expanded to kind/source for each source.
func wantedRows(t *testing.T) []string {
	var out []string
	for _, kind := range stages.Kinds() {
		st, _ := stages.Lookup(kind)
		if _, perSource := st.(stages.ParamVersioner); !perSource {
			out = append(out, kind)
			continue
		}
		spec, ok := stages.Spec(st, sourceParam)
		if !ok || len(spec.Choices) == 0 {
			t.Fatalf("stage kind %s has a per-param version but no %q param with choices", kind, sourceParam)
		}
		for _, src := range spec.Choices {
			out = append(out, kind+"/"+src)
		}
	}
	return out
}

// TestConformance runs every row through the checks of the package doc.
func TestConformance(t *testing.T) {
	pinned := readPins(t)
	current := pinFile{}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if pins, ok := r.check(t); ok {
				current[r.name] = pins
				comparePins(t, r.name, pinned[r.name], pins)
			}
		})
	}
	if *update {
		writePins(t, pinned, current)
	}
}

// kind is the stage kind of the row.
func (r row) kind() string { k, _, _ := strings.Cut(r.name, "/"); return k }

// check runs the row's checks; it returns its output digests, and false
// when the row was skipped or could not run.
func (r row) check(t *testing.T) (rowPins, bool) {
	if r.skip != nil {
		if why := r.skip(); why != "" {
			t.Skip(why)
		}
	}
	st, ok := stages.Lookup(r.kind())
	if !ok {
		t.Fatalf("stage kind %s is not registered", r.kind())
	}
	p := maps.Clone(r.params)
	var in stages.Inputs
	if r.setup != nil {
		t.Chdir(t.TempDir()) // fixture paths are relative: the same text every run
		in = r.setup(t, p)
	}
	fillDefaults(t, st, p)
	scratch := ndarray.NewScratch(t.TempDir())
	first := runConforming(t, scratch, st, in, p)
	second := runConforming(t, scratch, st, in, p)
	pins := rowPins{version: stages.VersionOf(st, p), digests: digests(first)}
	if again := digests(second); !maps.Equal(again, pins.digests) {
		t.Errorf("two runs on the same inputs and params differ: %v, then %v", pins.digests, again)
	}
	t.Run("bounds", func(t *testing.T) { r.checkBounds(t, scratch, st, in, p) })
	t.Run("nan", func(t *testing.T) { r.checkNaN(t, scratch, st, in, p) })
	return pins, !t.Failed()
}

// fillDefaults completes p as the experiment parser does (the schema's
// defaults, then Defaulter, then Validator), checking every value against
// its spec's type and bounds on the way.
func fillDefaults(t *testing.T, st stages.Stage, p stages.Params) {
	t.Helper()
	for _, spec := range st.Params() {
		switch {
		case p.Has(spec.Name):
		case spec.Default != nil:
			p[spec.Name] = spec.Default
		case !spec.Optional:
			t.Fatalf("the row lacks required param %q (%s)", spec.Name, spec.Doc)
		}
	}
	if d, ok := st.(stages.Defaulter); ok {
		d.Defaults(p)
	}
	for name, v := range p {
		spec, ok := specOf(st, p, name)
		if !ok {
			t.Fatalf("param %q has no spec", name)
		}
		if got, want := fmt.Sprintf("%T", v), goType[spec.Type]; got != want {
			t.Errorf("param %q is a %s, but its spec says %s (Params.%s would panic)", name, got, want, spec.Type)
		}
		if err := spec.CheckValue(v); err != nil {
			t.Errorf("param %q = %s fails its own spec: %v", name, stages.FormatValue(v), err)
		}
	}
	if v, ok := st.(stages.Validator); ok {
		if err := v.Validate(p); err != nil {
			t.Fatalf("Validate rejects the row's params with defaults filled %v: %v", p.Canonical(), err)
		}
	}
}

// goType is the Go type of a param value of each ParamType (see Params).
var goType = map[stages.ParamType]string{
	stages.Int: "int", stages.Float: "float64", stages.String: "string", stages.Bool: "bool",
	stages.IntList: "[]int", stages.FloatList: "[]float64", stages.StringList: "[]string",
}

// specOf is the spec of param name as the stage reads it under p (a
// SpecResolver's own meaning first).
func specOf(st stages.Stage, p stages.Params, name string) (stages.ParamSpec, bool) {
	if r, ok := st.(stages.SpecResolver); ok {
		if spec, ok := r.ResolveSpec(p, name); ok {
			return spec, true
		}
	}
	return stages.Spec(st, name)
}

// errPanic marks a run that panicked.
var errPanic = errors.New("the stage panicked")

// run calls st.Run, turning a panic into an error wrapping errPanic.
func run(scratch *ndarray.Scratch, st stages.Stage, in stages.Inputs, p stages.Params) (out stages.Outputs, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("%w: %v\n%s", errPanic, v, debug.Stack())
		}
	}()
	return st.Run(context.Background(), scratch, in, p)
}

// runConforming runs the stage, failing the test unless it succeeds with
// exactly its declared outputs, leaves its inputs unchanged and every
// output round-trips through its blob encoding.
func runConforming(t *testing.T, scratch *ndarray.Scratch, st stages.Stage, in stages.Inputs, p stages.Params) stages.Outputs {
	t.Helper()
	before := digests(in)
	out, err := run(scratch, st, in, p)
	if err != nil {
		t.Fatalf("params %v: %v", p.Canonical(), err)
	}
	if after := digests(in); !maps.Equal(after, before) {
		t.Errorf("Run modified its inputs: digests %v before, %v after", before, after)
	}
	checkDeclared(t, st, p, out)
	for name, a := range out {
		checkEncoding(t, name, a)
	}
	return out
}

// checkDeclared fails unless out holds exactly the outputs st declares
// for p.
func checkDeclared(t *testing.T, st stages.Stage, p stages.Params, out stages.Outputs) {
	t.Helper()
	declared := st.Outputs(p)
	got := slices.Sorted(maps.Keys(out))
	want := slices.Sorted(slices.Values(declared))
	if len(declared) == 0 || !slices.Equal(got, want) {
		t.Errorf("params %v: Run returned outputs %v; Outputs(p) declares %v", p.Canonical(), got, want)
	}
	for name, a := range out {
		if a == nil {
			t.Errorf("output %s is nil", name)
		}
	}
}

// checkEncoding fails unless artifact a encodes (as the cache stores it)
// to a blob whose digest is a's own.
func checkEncoding(t *testing.T, name string, a stages.Artifact) {
	t.Helper()
	if a == nil {
		return
	}
	var blob bytes.Buffer
	if err := stages.WriteArtifact(&blob, a); err != nil {
		t.Errorf("output %s (%s) does not encode: %v", name, a.Describe(), err)
		return
	}
	d, err := stages.DigestArtifact(&blob)
	if err != nil || d != a.Digest() {
		t.Errorf("output %s (%s): its blob digests to %v (%v), the artifact to %v", name, a.Describe(), d, err, a.Digest())
	}
}

// digests are the hex digests of named artifacts: the content digests the
// cache keys artifacts by.
func digests[M ~map[string]stages.Artifact](m M) map[string]string {
	out := make(map[string]string, len(m))
	for name, a := range m {
		if a != nil {
			out[name] = a.Digest().String()
		}
	}
	return out
}

// checkBounds checks every bounded or choice param of the row: accepted
// by its spec at each bound and choice, rejected just past each bound and
// off the choices; and, unless row.noBoundRuns, the stage runs at every
// accepted value that Validate also accepts: with its declared outputs,
// or with an error naming the param or an input (a value that does not
// suit the data), never a panic.
func (r row) checkBounds(t *testing.T, scratch *ndarray.Scratch, st stages.Stage, in stages.Inputs, p stages.Params) {
	for _, spec := range boundedSpecs(st, p) {
		for _, v := range edges(spec, p[spec.Name]) {
			err := spec.CheckValue(v.value)
			if v.ok != (err == nil) {
				t.Errorf("param %q = %s: spec check says %v; want accepted %v", spec.Name, stages.FormatValue(v.value), err, v.ok)
			}
			if !v.ok || r.noBoundRuns || spec.Name == sourceParam {
				continue
			}
			q := maps.Clone(p)
			q[spec.Name] = v.value
			if val, ok := st.(stages.Validator); ok && val.Validate(q) != nil {
				continue // rejected before anything runs, as the parser does
			}
			out, err := run(scratch, st, in, q)
			if err == nil {
				checkDeclared(t, st, q, out)
			} else if errors.Is(err, errPanic) || !namesCause(err, spec.Name) {
				t.Errorf("param %q = %s passes the spec and Validate, but Run fails without naming the param or an input: %v", spec.Name, stages.FormatValue(v.value), err)
			}
		}
	}
}

// namesCause reports whether a run's error names param (a value that
// does not suit the data) or an input (data that does not suit the value).
func namesCause(err error, param string) bool {
	return strings.Contains(err.Error(), param) || strings.Contains(err.Error(), `input "`)
}

// boundedSpecs are the specs of the params the row's stage reads under p
// that have bounds or choices (for a SpecResolver, the chosen source's).
func boundedSpecs(st stages.Stage, p stages.Params) []stages.ParamSpec {
	var out []stages.ParamSpec
	for _, s := range st.Params() {
		spec, ok := s, true
		if r, isR := st.(stages.SpecResolver); isR && s.Name != sourceParam {
			spec, ok = r.ResolveSpec(p, s.Name)
		}
		if ok && (spec.Min != nil || spec.Max != nil || len(spec.Choices) > 0) {
			out = append(out, spec)
		}
	}
	return out
}

// edge is one value of a param and whether its spec must accept it.
type edge struct {
	value any
	ok    bool
}

// edges are the values at and just past each bound of spec, and every
// choice and one that is none; a list param varies its first element,
// the others taken from cur (the row's value) where there is one.
func edges(spec stages.ParamSpec, cur any) []edge {
	var out []edge
	add := func(x float64, ok bool) { out = append(out, edge{numberOf(spec, cur, x), ok}) }
	if spec.Min != nil {
		add(*spec.Min, true)
		add(past(spec, *spec.Min, -1), false)
	}
	if spec.Max != nil {
		add(*spec.Max, true)
		add(past(spec, *spec.Max, +1), false)
	}
	if len(spec.Choices) == 0 {
		return out
	}
	for _, c := range append(slices.Clone(spec.Choices), "\x00none of the choices") {
		ok := slices.Contains(spec.Choices, c)
		if spec.Type == stages.StringList {
			out = append(out, edge{withFirst(cur, c, spec.Len), ok})
		} else {
			out = append(out, edge{c, ok})
		}
	}
	return out
}

// past is the nearest value of spec's type beyond bound in direction dir.
func past(spec stages.ParamSpec, bound float64, dir float64) float64 {
	if spec.Type == stages.Int || spec.Type == stages.IntList {
		if dir < 0 {
			return math.Ceil(bound) - 1
		}
		return math.Floor(bound) + 1
	}
	return math.Nextafter(bound, dir*math.Inf(1))
}

// numberOf is x as a value of spec's type (a list: cur with x first).
func numberOf(spec stages.ParamSpec, cur any, x float64) any {
	switch spec.Type {
	case stages.Int:
		return int(x)
	case stages.IntList:
		return withFirst(cur, int(x), spec.Len)
	case stages.FloatList:
		return withFirst(cur, x, spec.Len)
	}
	return x
}

// withFirst is a copy of list cur (or of length n ≥ 1 filled with x) with
// x as its first element.
func withFirst[T any](cur any, x T, n int) []T {
	l, ok := cur.([]T)
	if !ok || len(l) == 0 {
		l = make([]T, max(n, 1))
		for i := range l {
			l[i] = x
		}
	}
	l = slices.Clone(l)
	l[0] = x
	return l
}

// checkNaN puts a NaN into each float array input in turn: the stage must
// fail with an error naming the input and the non-finite value, and, with
// the input's row.nanDrops params, succeed with its declared outputs; it
// must never panic.
func (r row) checkNaN(t *testing.T, scratch *ndarray.Scratch, st stages.Stage, in stages.Inputs, p stages.Params) {
	for _, name := range slices.Sorted(maps.Keys(in)) {
		a, ok := in[name].(*ndarray.Array)
		if !ok || a.DType() == ndarray.Int64 || a.Len() == 0 {
			continue
		}
		bad := maps.Clone(in)
		bad[name] = withNaN(a)
		_, err := run(scratch, st, bad, p)
		switch {
		case errors.Is(err, errPanic):
			t.Errorf("NaN in input %q: %v", name, err)
		case err == nil:
			t.Errorf("NaN in input %q was accepted silently; want an error naming the input", name)
		case !strings.Contains(err.Error(), fmt.Sprintf("%q", name)) || !mentionsNonfinite(err):
			t.Errorf("NaN in input %q: the error %q does not name the input and the NaN", name, err)
		}
		drop, ok := r.nanDrops[name]
		if !ok {
			continue
		}
		q := maps.Clone(p)
		maps.Copy(q, drop)
		out, err := run(scratch, st, bad, q)
		if err != nil {
			t.Errorf("NaN in input %q under %v: want it dropped, got %v", name, drop, err)
			continue
		}
		checkDeclared(t, st, q, out)
	}
}

func mentionsNonfinite(err error) bool {
	s := err.Error()
	return strings.Contains(s, "NaN") || strings.Contains(s, "finite")
}

// withNaN is a float64 copy of a with its middle element NaN.
func withNaN(a *ndarray.Array) *ndarray.Array {
	b := &ndarray.Array{Shape: a.Shape, Axes: a.Axes, F64: slices.Clone(a.Float64s())}
	b.F64[len(b.F64)/2] = math.NaN()
	return b
}
