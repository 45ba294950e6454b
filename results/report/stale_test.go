package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

func init() { stages.Register(versioned{}) }

// versionedVersion is the version of the versioned fake stage: a test
// bumps it to simulate new code.
var versionedVersion = "1"

// versioned is a fake stage kind whose version tests change: its 0-d
// output x is param value plus the first element of its optional input x.
type versioned struct{}

func (versioned) Kind() string    { return "test_versioned" }
func (versioned) Version() string { return versionedVersion }
func (versioned) Doc() string     { return "report test stage whose version tests bump" }
func (versioned) Params() []stages.ParamSpec {
	return []stages.ParamSpec{{Name: "value", Type: stages.Float, Default: 1.0}}
}
func (versioned) Inputs() []stages.InputSpec               { return []stages.InputSpec{{Name: "x", Optional: true}} }
func (versioned) Outputs(stages.Params) []string           { return []string{"x"} }
func (versioned) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (versioned) Run(_ context.Context, _ *ndarray.Scratch, in stages.Inputs, p stages.Params) (stages.Outputs, error) {
	x := p.Float("value")
	if a, err := in.Array("x"); err == nil {
		x += a.Value(0)
	}
	return stages.Outputs{"x": ndarray.Scalar(x)}, nil
}

// parsePlan parses an experiment given as text.
func parsePlan(t *testing.T, src string) *experiments.Plan {
	t.Helper()
	p, err := experiments.Parse("stale.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantStale checks the page's stale results and that it cites nothing of
// them and misses its one cell.
func wantStale(t *testing.T, page *Page, want []Stale) {
	t.Helper()
	eq := func(a, b Stale) bool { return a.Label == b.Label && slices.Equal(a.Reasons, b.Reasons) }
	if !slices.EqualFunc(page.Stale, want, eq) {
		t.Errorf("stale %q\nwant  %q", page.Stale, want)
	}
	if len(page.Cited) != 0 || len(page.Missing) != 1 {
		t.Errorf("cited %v, missing %v; want nothing cited and the one cell missing", page.Cited, page.Missing)
	}
}

// After a stage's version changes, its results, with the same params and
// inputs as before, are stale (the old rule compared only those), and so
// is everything downstream of them.
func TestStaleAfterVersionBump(t *testing.T) {
	s := newState(t)
	p := parsePlan(t, `name: stale-version
stages:
  v: {kind: test_versioned, params: {value: 2}}
  w: {kind: test_versioned, inputs: {x: v}, params: {value: 3}}
report:
  - text: the versioned values
`)
	s.run(t, p)
	if page := s.build(t, p); len(page.Stale) != 0 || len(page.Cited) != 2 {
		t.Fatalf("before the bump: stale %v, cited %d; want none stale, 2 cited", page.Stale, len(page.Cited))
	}
	versionedVersion = "2"
	t.Cleanup(func() { versionedVersion = "1" })
	wantStale(t, s.build(t, p), []Stale{
		{"stale-version:v", []string{"version changed: 1 -> 2"}},
		{"stale-version:w", []string{"input x: stale-version:v has no current result"}},
	})
}

// After a file param's content changes (an .npy rewritten with other
// values under the same path), the result loaded from it is stale though
// its params are the same.
func TestStaleAfterEditedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	write := func(vals ...float64) {
		t.Helper()
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := ndarray.WriteNPY(f, &ndarray.Array{Shape: []int{len(vals)}, F64: vals}); err != nil {
			t.Fatal(err)
		}
	}
	s := newState(t)
	write(1, 2, 3)
	p := parsePlan(t, `name: stale-file
stages:
  data: {kind: load, params: {source: npy, path: "`+path+`"}}
report:
  - text: the loaded array
`)
	s.run(t, p)
	if page := s.build(t, p); len(page.Stale) != 0 || len(page.Missing) != 0 {
		t.Fatalf("before the edit: stale %v, missing %v", page.Stale, page.Missing)
	}
	write(1, 2, 4)
	page := s.build(t, p)
	if len(page.Stale) != 1 || len(page.Stale[0].Reasons) != 1 ||
		!regexp.MustCompile(`^file path changed: [0-9a-f]{12} -> [0-9a-f]{12}$`).MatchString(page.Stale[0].Reasons[0]) {
		t.Errorf("stale %q; want stale-file:data with the reason: file path changed: <old> -> <new>", page.Stale)
	}
}
