package experiments

import (
	"errors"
	"strings"
	"testing"
)

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		sets       []string
		want       []string // each problem line, exactly
	}{
		{"unknown top key", "name: e\nstage: {}\nstages: {a: {kind: fake}}\n", nil,
			[]string{`t.yaml:2:1: experiment: unknown key "stage"; want one of name, description, params, matrix, stages, report`}},
		{"missing name", "stages: {a: {kind: fake}}\n", nil,
			[]string{`t.yaml:1:1: missing required key "name"`}},
		{"bad name", "name: My_Exp\nstages: {a: {kind: fake}}\n", nil,
			[]string{`t.yaml:1:7: name "My_Exp": want lowercase letters, digits and dashes ([a-z0-9-]+)`}},
		{"unknown stage key", "name: e\nstages:\n  a: {kind: fake, param: {}}\n", nil,
			[]string{`t.yaml:3:19: stage "a": unknown key "param"; want one of kind, params, inputs`}},
		{"unknown kind", "name: e\nstages:\n  a: {kind: fakee}\n", nil,
			[]string{`t.yaml:3:13: stage "a": unknown stage kind "fakee"; known kinds: `}},
		{"unknown param", "name: e\nstages:\n  a:\n    kind: fake\n    params: {nn: 3}\n", nil,
			[]string{`t.yaml:5:14: stage "a": unknown param "nn" for kind fake; want one of n, alpha, mode, flag, ranks, names, tag`}},
		{"int given a float", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: 1.5}\n", nil,
			[]string{`t.yaml:5:17: stage "a": param "n": got the float 1.5; want int`}},
		{"int given a string", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: \"3\"}\n", nil,
			[]string{`t.yaml:5:17: stage "a": param "n": got the string "3"; want int`}},
		{"out of range", "name: e\nstages:\n  a:\n    kind: fake\n    params: {alpha: 4}\n", nil,
			[]string{`t.yaml:5:21: stage "a": param "alpha": 4 is above the maximum 3`}},
		{"bad choice", "name: e\nstages:\n  a:\n    kind: fake\n    params: {mode: c}\n", nil,
			[]string{`t.yaml:5:20: stage "a": param "mode": "c" is not one of a, b`}},
		{"list length", "name: e\nstages:\n  a:\n    kind: fake\n    params: {ranks: [1, 2, 3]}\n", nil,
			[]string{`t.yaml:5:21: stage "a": param "ranks": want a list of 2, got 3`}},
		{"bad reference", "name: e\nstages:\n  a: {kind: fake, inputs: {x: b}}\n", nil,
			[]string{`t.yaml:3:31: stage "a": input "x" refers to unknown stage "b"`}},
		{"unknown output", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: a.nope}}\n", nil,
			[]string{`t.yaml:4:31: stage "b": input "x": stage "a" has no output "nope"; it has out`}},
		{"unknown input name", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {y: a}}\n", nil,
			[]string{`t.yaml:4:28: stage "b": unknown input "y" for kind fake; want one of x`}},
		{"self reference", "name: e\nstages:\n  a: {kind: fake, inputs: {x: a}}\n", nil,
			[]string{`t.yaml:3:3: stage "a": inputs form a cycle: a -> a`, `t.yaml:3:31: stage "a": input "x" refers to the stage itself`}},
		{"cycle", "name: e\nstages:\n  a: {kind: fake, inputs: {x: b}}\n  b: {kind: fake, inputs: {x: a}}\n", nil,
			[]string{`t.yaml:3:3: stage "a": inputs form a cycle: a -> b -> a`}},
		{"duplicate stage", "name: e\nstages:\n  a: {kind: fake}\n  a: {kind: fake}\n", nil,
			[]string{`t.yaml:4:3: stages: duplicate key "a"`}},
		{"undefined substitution", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: ${m}}\n", nil,
			[]string{`t.yaml:5:17: stage "a": param "n": ${m} is not defined; want a params entry or a matrix axis`}},
		{"bad set", "name: e\nparams: {m: 1}\nstages: {a: {kind: fake}}\n", []string{"q=2"},
			[]string{`t.yaml:0:0: --set "q=2": "q" is neither a param nor a matrix axis; want one of m`}},
		{"empty axis", "name: e\nmatrix: {alpha: []}\nstages: {a: {kind: fake}}\n", nil,
			[]string{`t.yaml:2:17: matrix axis "alpha": want a non-empty list of values`}},
		{"yaml syntax", "name: e\nstages: {a: [}\n", nil,
			// yaml.v3 reports this syntax error at the line where the flow began.
			[]string{`t.yaml:1:1: not valid YAML: did not find expected node content`}},
		{"several at once", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: -1, mode: z, bogus: 1}\n  b: {kind: nokind}\n", nil,
			[]string{
				`t.yaml:5:17: stage "a": param "n": -1 is below the minimum 0`,
				`t.yaml:5:27: stage "a": param "mode": "z" is not one of a, b`,
				`t.yaml:5:30: stage "a": unknown param "bogus" for kind fake; want one of n, alpha, mode, flag, ranks, names, tag`,
				`t.yaml:6:13: stage "b": unknown stage kind "nokind"; known kinds: `,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml), tc.sets)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v, want *InvalidError", err)
			}
			got := inv.Errs.Errors
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if g := got[i].Error(); g != w && !(strings.HasSuffix(w, ": ") && strings.HasPrefix(g, w)) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

const sweep = `
name: sweep
params: {n: 5, tag: run}
matrix:
  alpha: [0.5, 1]
  seed: [0, 1, 2]
stages:
  shared:
    kind: fake
    params: {n: ${n}, tag: "${tag}-shared"}
  per_alpha:
    kind: fake
    inputs: {x: shared}
    params: {alpha: ${alpha}}
  per_cell:
    kind: fake
    inputs: {x: per_alpha.out}
    params: {n: ${seed}, flag: true}
`

func TestSweepExpansionSharesStages(t *testing.T) {
	p, err := Parse("s.yaml", []byte(sweep), nil)
	if err == nil && len(p.Cells) != 6 {
		t.Fatalf("%d cells, want 6", len(p.Cells))
	}
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, inst := range p.Instances {
		count[inst.Name]++
	}
	if count["shared"] != 1 || count["per_alpha"] != 2 || count["per_cell"] != 6 {
		t.Errorf("instances per stage = %v, want shared 1, per_alpha 2, per_cell 6", count)
	}
	shared := p.Lookup("shared", 4)
	if len(shared.Cells) != 6 || shared.Params.String("tag") != "run-shared" || shared.Params.Int("n") != 5 {
		t.Errorf("shared = %+v", shared)
	}
	cell := p.Lookup("per_cell", 4) // alpha=1, seed=1
	if got := strings.Join(cell.Axes, ","); got != "alpha,seed" {
		t.Errorf("per_cell axes = %s", got)
	}
	if cell.Params.Int("n") != 1 || cell.Inputs[0].From.Params.Float("alpha") != 1.0 {
		t.Errorf("cell 4 resolved to n=%d alpha=%v", cell.Params.Int("n"), cell.Inputs[0].From.Params.Float("alpha"))
	}
	if p.Cells[4].String() != "alpha=1,seed=1" {
		t.Errorf("cell 4 = %q", p.Cells[4])
	}
}

func TestIDsIgnoreSpellingButNotValues(t *testing.T) {
	ids := func(src string, sets ...string) map[string]string {
		p, err := Parse("s.yaml", []byte(src), sets)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, inst := range p.Instances {
			m[inst.Name+"/"+strings.Join(cellNames(p, inst), ";")] = inst.ID
		}
		return m
	}
	base := ids(sweep)
	respelled := strings.NewReplacer("alpha: [0.5, 1]", "alpha: [0.50, 1.0]", "{alpha: ${alpha}}", "{ alpha:   ${alpha} }").Replace(sweep)
	if got := ids(respelled); !equalMaps(got, base) {
		t.Errorf("respelling changed IDs")
	}
	changed := ids(sweep, "n=6")
	for k, id := range base {
		if changed[k] == id {
			t.Errorf("%s: ID unchanged after n changed (every stage depends on shared)", k)
		}
	}
}

func cellNames(p *Plan, inst *Instance) []string {
	var out []string
	for _, c := range inst.Cells {
		out = append(out, p.Cells[c].String())
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSetOverridesAxisAndParam(t *testing.T) {
	p, err := Parse("s.yaml", []byte(sweep), []string{"alpha=[0.5,1,2]", "seed=7", "n=9"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cells) != 3 || p.Params["n"] != 9 {
		t.Errorf("%d cells, n=%v; want 3 cells and n=9", len(p.Cells), p.Params["n"])
	}
	if got := p.Lookup("per_cell", 0).Params.Int("n"); got != 7 {
		t.Errorf("seed pinned to 7 gave n=%d", got)
	}
}

func TestShippedExperimentsParse(t *testing.T) {
	if len(Shipped()) == 0 {
		t.Fatal("no shipped experiments")
	}
	for _, name := range Shipped() {
		if _, err := Load(name, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
