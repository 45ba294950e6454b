package experiments

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages"
)

func parseFile(t *testing.T, name string, sets ...string) *Plan {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(name, src, sets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSweepExpansionSharesStages(t *testing.T) {
	p := parseFile(t, "testdata/sweep.yaml")
	var labels []string
	for _, c := range p.Cells {
		labels = append(labels, c.String())
	}
	wantLabels := []string{"alpha=0.5,seed=0", "alpha=0.5,seed=1", "alpha=0.5,seed=2", "alpha=1,seed=0", "alpha=1,seed=1", "alpha=1,seed=2"}
	if !reflect.DeepEqual(labels, wantLabels) {
		t.Fatalf("cells = %q, want %q", labels, wantLabels)
	}
	// Topological order (shared before per_alpha before per_cell, though
	// the YAML lists them the other way round), then first cell.
	tests := []struct {
		name  string
		axes  []string
		cells []int
	}{
		{"shared", []string{}, []int{0, 1, 2, 3, 4, 5}},
		{"per_alpha", []string{"alpha"}, []int{0, 1, 2}},
		{"per_alpha", []string{"alpha"}, []int{3, 4, 5}},
	}
	for seed := 0; seed < 6; seed++ {
		tests = append(tests, struct {
			name  string
			axes  []string
			cells []int
		}{"per_cell", []string{"alpha", "seed"}, []int{seed}})
	}
	if len(p.Instances) != len(tests) {
		t.Fatalf("%d instances, want %d", len(p.Instances), len(tests))
	}
	for i, tc := range tests {
		inst := p.Instances[i]
		if inst.Name != tc.name || !reflect.DeepEqual(inst.Cells, tc.cells) || strings.Join(inst.Axes, ",") != strings.Join(tc.axes, ",") {
			t.Errorf("instance %d = %s axes %v cells %v, want %s axes %v cells %v", i, inst.Name, inst.Axes, inst.Cells, tc.name, tc.axes, tc.cells)
		}
	}
	shared := p.Lookup("shared", 4)
	if shared.Params.String("tag") != "run-shared" || shared.Params.Int("n") != 5 || shared.Pos != (Pos{18, 3}) {
		t.Errorf("shared = %+v", shared)
	}
	cell := p.Lookup("per_cell", 4) // alpha=1, seed=1
	in := cell.Inputs[0]
	if cell.Params.Int("n") != 1 || in.Name != "x" || in.Output != "out" || in.From != p.Lookup("per_alpha", 4) || in.From.Params.Float("alpha") != 1.0 {
		t.Errorf("cell 4 resolved to n=%d, input %+v", cell.Params.Int("n"), in)
	}
	if p.Lookup("per_cell", 6) != nil || p.Lookup("nope", 0) != nil {
		t.Error("Lookup found an instance outside the plan")
	}
}

func TestRawSectionsKeepReferences(t *testing.T) {
	p := parseFile(t, "testdata/sweep.yaml")
	if p.Description != "sharing test: ${alpha} stays literal here" {
		t.Errorf("description = %q", p.Description)
	}
	var report []map[string]map[string]any
	if err := p.Report.Decode(&report); err != nil {
		t.Fatal(err)
	}
	if got := report[0]["figure"]["title"]; got != "n=${n}" {
		t.Errorf("report title = %q, want the ${n} reference as written", got)
	}
	src, _ := os.ReadFile("testdata/sweep.yaml")
	if string(p.Source) != string(src) || p.Name != "sweep" || p.File != "testdata/sweep.yaml" {
		t.Errorf("plan header = %q %q, source kept: %v", p.Name, p.File, string(p.Source) == string(src))
	}
}

func TestAxisPicksAnInputOutput(t *testing.T) {
	p, err := Parse("t.yaml", []byte(`
name: e
matrix: {layer: [x, y]}
stages:
  acts: {kind: fake, params: {names: [x, y]}}
  spec: {kind: fake, inputs: {x: acts.${layer}}}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if acts := p.Lookup("acts", 1); len(acts.Axes) != 0 || p.Lookup("acts", 0) != acts {
		t.Errorf("acts depends on %v, want no axis (one shared instance)", acts.Axes)
	}
	for i, want := range []string{"x", "y"} {
		spec := p.Lookup("spec", i)
		if got := spec.Inputs[0].Output; got != want || !reflect.DeepEqual(spec.Axes, []string{"layer"}) {
			t.Errorf("cell %d: spec reads acts.%s (axes %v), want acts.%s (axes [layer])", i, got, spec.Axes, want)
		}
	}
}

func TestSubstitutionIsTyped(t *testing.T) {
	p := parseFile(t, "testdata/typed.yaml")
	if len(p.Cells) != 1 || p.Cells[0].String() != "" {
		t.Fatalf("cells = %+v, want one unnamed cell", p.Cells)
	}
	a, b := p.Lookup("a", 0), p.Lookup("b", 0)
	wantA := stages.Params{"n": 3, "alpha": 2.5, "tag": "hi-3-2.5", "flag": true, "ranks": []int{1, 2},
		"names": []string{"out", "more"}, "mode": "a"}
	if !reflect.DeepEqual(a.Params, wantA) {
		t.Errorf("a params = %#v\nwant %#v", a.Params, wantA)
	}
	wantB := stages.Params{"lo": 3.0, "hi": 4.0, "weights": []float64{1, 2.5, 3}}
	if !reflect.DeepEqual(b.Params, wantB) {
		t.Errorf("b params = %#v\nwant %#v", b.Params, wantB)
	}
	wantIn := []InputRef{{"a", a, "more"}, {"b", a, "out"}} // a bare STAGE means its first output
	if !reflect.DeepEqual(b.Inputs, wantIn) {
		t.Errorf("b inputs = %+v, want %+v", b.Inputs, wantIn)
	}
	wantTop := map[string]any{"k": 3, "f": 2.5, "s": "hi", "b": true, "l": []any{1, 2}, "words": []any{"out", "more"}}
	if !reflect.DeepEqual(p.Params, wantTop) {
		t.Errorf("params = %#v", p.Params)
	}
}

func TestDefaultsFilled(t *testing.T) {
	p, err := Parse("d.yaml", []byte("name: d\nstages: {a: {kind: fake}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := stages.Params{"n": 10, "alpha": 1.0, "mode": "a", "flag": false, "names": []string{"out"}}
	if got := p.Instances[0].Params; !reflect.DeepEqual(got, want) {
		t.Errorf("params = %#v, want %#v (optional params without default stay absent)", got, want)
	}
}

func TestSetOverridesParamsAndAxes(t *testing.T) {
	tests := []struct {
		sets  []string
		cells int
		check func(p *Plan) bool
	}{
		{[]string{"n=9"}, 6, func(p *Plan) bool { return p.Params["n"] == 9 && p.Lookup("shared", 0).Params.Int("n") == 9 }},
		{[]string{"alpha=[0.5,1,2]"}, 9, func(p *Plan) bool { return p.Lookup("per_alpha", 8).Params.Float("alpha") == 2 }},
		{[]string{"seed=7"}, 2, func(p *Plan) bool { return p.Lookup("per_cell", 1).Params.Int("n") == 7 }},
		{[]string{"seed=[2]", "alpha=0.25"}, 1, func(p *Plan) bool { return p.Cells[0].String() == "alpha=0.25,seed=2" }},
		{[]string{"tag=a b: c"}, 6, func(p *Plan) bool { return p.Lookup("shared", 0).Params.String("tag") == "a b: c-shared" }},
		{[]string{"n=1", "n=2"}, 6, func(p *Plan) bool { return p.Params["n"] == 2 }}, // the last set wins
	}
	for _, tc := range tests {
		p := parseFile(t, "testdata/sweep.yaml", tc.sets...)
		if len(p.Cells) != tc.cells || !tc.check(p) {
			t.Errorf("--set %q: %d cells (want %d), params %v", tc.sets, len(p.Cells), tc.cells, p.Params)
		}
	}
	p := parseFile(t, "testdata/typed.yaml", "l=[4, 5]")
	if got := p.Lookup("a", 0).Params.Ints("ranks"); !reflect.DeepEqual(got, []int{4, 5}) {
		t.Errorf("--set l=[4, 5] gave ranks %v", got)
	}
}

// respelled is testdata/sweep.yaml with other whitespace, comments, key
// order, flow/block style and 1.0 for 1: the same experiment.
const respelled = `name: sweep
stages:
  shared: {params: {tag: "${tag}-shared", n: "${n}"}, kind: fake}
  per_alpha:
    params:
      alpha:   ${alpha}     # a float param
    inputs:
      x: shared
    kind: fake
  per_cell: {kind: fake, params: {flag: true, n: "${seed}"}, inputs: {x: per_alpha.out}}
matrix:
  alpha: [0.50, 1.0]
  seed:
    - 0
    - 1
    - 2
params:
  tag: run
  n: 5
`

func TestIDsIgnoreSpellingButNotValues(t *testing.T) {
	base := ids(t, parseFile(t, "testdata/sweep.yaml"))
	for id := range base {
		if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("ID %q is not hex SHA-256", id)
		}
	}
	p, err := Parse("r.yaml", []byte(respelled), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, p); !reflect.DeepEqual(got, base) {
		t.Errorf("respelling changed IDs:\n got %v\nwant %v", got, base)
	}
	if got := ids(t, parseFile(t, "testdata/sweep.yaml", "tag=run")); !reflect.DeepEqual(got, base) {
		t.Errorf("setting a param to its own value changed IDs")
	}
	changed := ids(t, parseFile(t, "testdata/sweep.yaml", "n=6"))
	for id, inst := range base {
		if _, same := changed[id]; same {
			t.Errorf("%s kept its ID after n changed (every stage reads shared)", inst)
		}
	}
	flag := ids(t, parseFile(t, "testdata/sweep.yaml", "alpha=[0.5, 1.5]"))
	kept := 0
	for id := range base {
		if _, same := flag[id]; same {
			kept++
		}
	}
	if kept != 1+1+3 { // shared, per_alpha at 0.5 and its three cells
		t.Errorf("%d IDs kept after alpha 1 -> 1.5, want 5", kept)
	}
}

// ids maps each instance ID to "stage@cells".
func ids(t *testing.T, p *Plan) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, inst := range p.Instances {
		if _, dup := m[inst.ID]; dup {
			t.Fatalf("two instances share ID %s", inst.ID)
		}
		m[inst.ID] = inst.Name + "@" + cellsOf(p, inst)
	}
	return m
}

func cellsOf(p *Plan, inst *Instance) string {
	var cells []string
	for _, c := range inst.Cells {
		cells = append(cells, p.Cells[c].String())
	}
	return strings.Join(cells, ";")
}

func TestInstanceOrderIsTopologicalThenYAML(t *testing.T) {
	src := "name: o\nmatrix: {k: [1, 2]}\nstages:\n" +
		"  b: {kind: fake, inputs: {x: d}}\n" +
		"  c: {kind: fake, params: {n: \"${k}\"}}\n" +
		"  d: {kind: fake, inputs: {x: c}}\n" +
		"  e: {kind: fake}\n"
	p, err := Parse("o.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inst := range p.Instances {
		got = append(got, inst.Name+"@"+cellsOf(p, inst))
	}
	want := []string{"c@k=1", "c@k=2", "d@k=1", "d@k=2", "b@k=1", "b@k=2", "e@k=1;k=2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
}

func TestLoad(t *testing.T) {
	if len(Shipped()) == 0 {
		t.Fatal("no shipped experiments")
	}
	sets := userData(t) // the templates read the user's data
	for _, name := range Shipped() {
		if p, err := Load(name, sets[name]); err != nil || p.Name != name || p.File != "shipped/"+name+".yaml" {
			t.Errorf("shipped %s: %v", name, err)
		}
	}
	_, err := Load("brain-data-template", nil)
	if err == nil || !strings.Contains(err.Error(), `stage "stimuli": param "path": data/images does not exist; want folder of .jpg/.jpeg/.png/.gif files`) {
		t.Errorf("brain-data-template without data: %v", err)
	}
	if p, err := Load("testdata/sweep.yaml", []string{"seed=0"}); err != nil || len(p.Cells) != 2 {
		t.Errorf("Load(testdata/sweep.yaml) = %v", err)
	}
	for ref, want := range map[string]string{
		"testdata/none.yaml": "experiment testdata/none.yaml: open testdata/none.yaml: no such file or directory",
		"no-such":            `experiment "no-such": no such file and no shipped experiment of that name; shipped: ` + strings.Join(Shipped(), ", "),
	} {
		_, err := Load(ref, nil)
		var inv *InvalidError
		if err == nil || err.Error() != want || errors.As(err, &inv) {
			t.Errorf("Load(%q) = %v, want %q", ref, err, want)
		}
	}
}

func TestInvalidErrorText(t *testing.T) {
	_, err := Parse("one.yaml", []byte("name: x\nstages: {a: {kind: fake, params: {n: -1}}}\n"), nil)
	want := "one.yaml is invalid (1 problem):\n  one.yaml:2:38: stage \"a\": param \"n\": -1 is below the minimum 0; want an int >= 0"
	if err == nil || err.Error() != want {
		t.Errorf("error text = %q\nwant %q", err, want)
	}
}

// A wide sweep is resolved by several workers (resolveAll): the plan, and
// the problems of an invalid one, are those of resolving it in order.
func TestWideSweepResolvedAsInOrder(t *testing.T) {
	seeds := make([]string, 600)
	for i := range seeds {
		seeds[i] = strconv.Itoa(37 + i) // as n, 40 and up
	}
	seeds[0], seeds[1], seeds[2] = "0", "-1", "-2" // n that make the sweep invalid
	src := func(lo int) []byte {
		return []byte(`name: wide
matrix:
  seed: [` + strings.Join(seeds[lo:], ", ") + `]
stages:
  data:
    kind: load
    params: {source: planted, n: ${seed}, p: 30, alpha: 1.0, seed: ${seed}}
  spectrum:
    kind: spectrum
    inputs: {x: data}
    params: {ranks: [2, 20], n_bootstraps: 0}
`)
	}
	parse := func(src []byte, above int) ([]string, error) {
		old := parallelAbove
		parallelAbove = above
		defer func() { parallelAbove = old }()
		p, err := Parse("wide.yaml", src, nil)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, inst := range p.Instances {
			ids = append(ids, inst.ID+" "+fmt.Sprint(inst.Cells))
		}
		return ids, nil
	}
	for _, lo := range []int{3, 0} {
		inOrder, errInOrder := parse(src(lo), 1<<30)
		parallel, errParallel := parse(src(lo), 1)
		if fmt.Sprint(errInOrder) != fmt.Sprint(errParallel) || !slices.Equal(inOrder, parallel) {
			t.Errorf("sweep from seed %s: in order %d instances, %v; by workers %d instances, %v",
				seeds[lo], len(inOrder), errInOrder, len(parallel), errParallel)
		}
		if (lo == 0) != (errInOrder != nil) || (lo == 3 && len(inOrder) != 2*597) {
			t.Errorf("sweep from seed %s: %d instances, %v", seeds[lo], len(inOrder), errInOrder)
		}
	}
}

// A stage whose params mention no axis shares one params map over a sweep
// (sharedParams), and its instances are those resolving each cell gives:
// the same ids, the same params, whether the sweep is resolved by workers
// or in order.
func TestConstantParamsShared(t *testing.T) {
	src := "name: w\nparams: {m: 3}\nmatrix: {k: [%s]}\nstages:\n" +
		"  a: {kind: fake, params: {n: \"${k}\"}}\n" +
		"  b: {kind: fake, inputs: {x: a}, params: {n: \"${m}\"}}\n"
	var ks []string
	for k := range 600 {
		ks = append(ks, strconv.Itoa(k))
	}
	p, err := Parse("w.yaml", []byte(fmt.Sprintf(src, strings.Join(ks, ", "))), nil)
	if err != nil {
		t.Fatal(err)
	}
	maps := map[string]bool{}
	for _, inst := range p.Instances {
		if inst.ID != instanceID(inst.Name, inst.Kind, inst.Params.Canonical(), inst.Inputs) {
			t.Fatalf("%s: id %s is not its params' and inputs'", inst.Name, inst.ID)
		}
		if inst.lines == nil || !slices.Equal(inst.ParamLines(), inst.Params.Canonical()) {
			t.Fatalf("%s: param lines %q made once, want %q", inst.Name, inst.lines, inst.Params.Canonical())
		}
		if inst.Name == "b" {
			if got := inst.Params.Int("n"); got != 3 {
				t.Fatalf("b: n = %d, want 3", got)
			}
			maps[fmt.Sprintf("%p", inst.Params)] = true
		}
	}
	if len(maps) != 1 {
		t.Errorf("b's 600 instances hold %d params maps, want 1", len(maps))
	}
	// An invalid constant param is still reported as it was, once.
	_, err = Parse("w.yaml", []byte(strings.Replace(fmt.Sprintf(src, strings.Join(ks, ", ")), `"${m}"`, `"x"`, 1)), nil)
	if err == nil || strings.Count(err.Error(), `param "n"`) != 1 {
		t.Errorf("invalid constant param: err = %v, want one error naming param \"n\"", err)
	}
}
