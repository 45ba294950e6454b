package experiments

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// errorCase is an invalid experiment and every problem it must report,
// in order, exactly. A wanted line ending in "known kinds: " is matched
// as a prefix: the list holds every registered kind.
type errorCase struct {
	name, yaml string
	sets       []string
	want       []string
}

// errorCases also seed FuzzParse.
var errorCases = []errorCase{
	{"unknown top key", "name: e\nstage: {}\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:2:1: experiment: unknown key "stage"; want one of name, description, params, matrix, stages, report`}},
	{"missing name and stages", "description: x\n", nil,
		[]string{`t.yaml:1:1: missing required key "name"`, `t.yaml:1:1: missing required key "stages"`}},
	{"bad name", "name: My_Exp\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:1:7: name "My_Exp": want lowercase letters, digits and dashes ([a-z0-9-]+)`}},
	{"templated stage part of an input", "name: e\nmatrix: {s: [a]}\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: \"${s}.out\"}}\n", nil,
		[]string{`t.yaml:5:31: stage "b": input "x": the STAGE part of "${s}.out" cannot use ${...}; want STAGE or STAGE.OUTPUT, where OUTPUT may (STAGE.${axis})`}},
	{"undefined axis in an input's output", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: a.${o}}}\n", nil,
		[]string{`t.yaml:4:31: stage "b": input "x": ${o} is not defined; want a params entry or a matrix axis`}},
	{"axis picks an output that is not there", "name: e\nmatrix: {o: [out, nope]}\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: a.${o}}}\n", nil,
		[]string{`t.yaml:5:31: stage "b": input "x": stage "a" has no output "nope"; want one of out`}},
	{"not a mapping", "- name: e\n", nil,
		[]string{`t.yaml:1:1: experiment: want a mapping (key: value lines)`}},
	{"unknown stage key", "name: e\nstages:\n  a: {kind: fake, param: {}}\n", nil,
		[]string{`t.yaml:3:19: stage "a": unknown key "param"; want one of kind, params, inputs, temp`}},
	{"temp not a boolean", "name: e\nstages:\n  a: {kind: fake, temp: \"yes\"}\n", nil,
		[]string{`t.yaml:3:25: stage "a": temp: want true or false (true: its outputs are removed from the cache once the stages that read them have their results)`}},
	{"missing kind", "name: e\nstages:\n  a: {params: {}}\n", nil,
		[]string{`t.yaml:3:3: stage "a": missing required key "kind"`}},
	{"unknown kind", "name: e\nstages:\n  a: {kind: fakee}\n", nil,
		[]string{`t.yaml:3:13: stage "a": unknown stage kind "fakee"; known kinds: `}},
	{"unknown param", "name: e\nstages:\n  a:\n    kind: fake\n    params: {nn: 3}\n", nil,
		[]string{`t.yaml:5:14: stage "a": unknown param "nn" for kind fake; want one of n, alpha, mode, flag, ranks, names, tag`}},
	{"int given a float", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: 1.5}\n", nil,
		[]string{`t.yaml:5:17: stage "a": param "n": got the float 1.5; want an int >= 0`}},
	{"int given a string", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: \"3\"}\n", nil,
		[]string{`t.yaml:5:17: stage "a": param "n": got the string "3"; want an int >= 0`}},
	{"bool given yes", "name: e\nstages:\n  a:\n    kind: fake\n    params: {flag: yes}\n", nil,
		[]string{`t.yaml:5:20: stage "a": param "flag": got the string "yes"; want true or false`}},
	{"list given a scalar", "name: e\nstages:\n  a:\n    kind: fake\n    params: {ranks: 5}\n", nil,
		[]string{`t.yaml:5:21: stage "a": param "ranks": got the int 5; want a list of 2 ints, each >= 1`}},
	{"list element", "name: e\nstages:\n  a:\n    kind: fake\n    params:\n      names:\n        - out\n        - 7\n", nil,
		[]string{`t.yaml:7:9: stage "a": param "names": element 2 is the int 7; want a list of strings`}},
	{"param given a mapping", "name: e\nstages:\n  a:\n    kind: fake\n    params: {tag: {x: 1}}\n", nil,
		[]string{`t.yaml:5:19: stage "a": param "tag": got a mapping; want a value or a list`}},
	{"out of range", "name: e\nstages:\n  a:\n    kind: fake\n    params: {alpha: 4}\n", nil,
		[]string{`t.yaml:5:21: stage "a": param "alpha": 4 is above the maximum 3; want a number in [0, 3]`}},
	{"list element out of range", "name: e\nstages:\n  a:\n    kind: fake\n    params: {ranks: [0, 5]}\n", nil,
		[]string{`t.yaml:5:21: stage "a": param "ranks": 0 is below the minimum 1; want a list of 2 ints, each >= 1`}},
	{"not finite", "name: e\nstages:\n  a:\n    kind: fake\n    params: {alpha: .nan}\n", nil,
		[]string{`t.yaml:5:21: stage "a": param "alpha": NaN is not a finite number; want a number in [0, 3]`}},
	{"bad choice", "name: e\nstages:\n  a:\n    kind: fake\n    params: {mode: c}\n", nil,
		[]string{`t.yaml:5:20: stage "a": param "mode": "c" is not one of a, b`}},
	{"list length", "name: e\nstages:\n  a:\n    kind: fake\n    params: {ranks: [1, 2, 3]}\n", nil,
		[]string{`t.yaml:5:21: stage "a": param "ranks": want a list of 2, got 3`}},
	{"missing required param", "name: e\nstages:\n  src: {kind: fake}\n  p:\n    kind: fakepair\n    inputs: {a: src}\n    params: {hi: 1}\n", nil,
		[]string{`t.yaml:4:3: stage "p": missing required param "lo" (lower end); want a number`}},
	{"validator", "name: e\nstages:\n  src: {kind: fake}\n  p:\n    kind: fakepair\n    inputs: {a: src}\n    params: {lo: 2, hi: 1}\n", nil,
		[]string{`t.yaml:7:13: stage "p": params lo=2 and hi=1: want lo < hi`}},
	{"missing required input", "name: e\nstages:\n  p:\n    kind: fakepair\n    params: {lo: 0, hi: 1}\n", nil,
		[]string{`t.yaml:3:3: stage "p": missing required input "a" (first); want inputs: {a: STAGE or STAGE.OUTPUT}`}},
	{"bad reference", "name: e\nstages:\n  a: {kind: fake, inputs: {x: b}}\n  c: {kind: fake}\n", nil,
		[]string{`t.yaml:3:31: stage "a": input "x" refers to unknown stage "b"; want one of a, c`}},
	{"input not a reference", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: [a]}}\n", nil,
		[]string{`t.yaml:4:31: stage "b": input "x": want a reference STAGE or STAGE.OUTPUT`}},
	{"unknown output", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {x: a.nope}}\n", nil,
		[]string{`t.yaml:4:31: stage "b": input "x": stage "a" has no output "nope"; want one of out`}},
	{"output missing in one cell", "name: e\nmatrix: {o: [out, other]}\nstages:\n  a: {kind: fake, params: {names: [\"${o}\"]}}\n  b: {kind: fake, inputs: {x: a.out}}\n", nil,
		[]string{`t.yaml:5:31: stage "b": input "x": stage "a" has no output "out"; want one of other`}},
	{"unknown input name", "name: e\nstages:\n  a: {kind: fake}\n  b: {kind: fake, inputs: {y: a}}\n", nil,
		[]string{`t.yaml:4:28: stage "b": unknown input "y" for kind fake; want one of x`}},
	{"self reference", "name: e\nstages:\n  a: {kind: fake, inputs: {x: a}}\n", nil,
		[]string{`t.yaml:3:31: stage "a": input "x" refers to the stage itself; want another stage`}},
	{"cycle", "name: e\nstages:\n  a: {kind: fake, inputs: {x: b}}\n  b: {kind: fake, inputs: {x: c}}\n  c: {kind: fake, inputs: {x: a}}\n", nil,
		[]string{`t.yaml:3:3: stage "a": inputs form a cycle: a -> b -> c -> a; want an acyclic chain of inputs`}},
	{"duplicate stage", "name: e\nstages:\n  a: {kind: fake}\n  a: {kind: fake}\n", nil,
		[]string{`t.yaml:4:3: stages: duplicate key "a"`}},
	{"duplicate param", "name: e\nstages:\n  a: {kind: fake, params: {n: 1, n: 2}}\n", nil,
		[]string{`t.yaml:3:34: stage "a" params: duplicate key "n"`}},
	{"duplicate key in report", "name: e\nstages: {a: {kind: fake}}\nreport:\n  - {figure: {x: a, x: b}}\n", nil,
		[]string{`t.yaml:4:21: report: duplicate key "x"`}},
	{"undefined substitution", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: ${m}}\n", nil,
		[]string{`t.yaml:5:17: stage "a": param "n": ${m} is not defined; want a params entry or a matrix axis`}},
	{"substituted value of the wrong type", "name: e\nmatrix: {k: [1, 2.5]}\nstages:\n  a:\n    kind: fake\n    params: {n: \"${k}\"}\n", nil,
		[]string{`t.yaml:6:17: stage "a": param "n": got the float 2.5; want an int >= 0`}},
	{"wrong in every cell, reported once", "name: e\nmatrix: {k: [-1, -2]}\nstages:\n  a:\n    kind: fake\n    params: {n: \"${k}\"}\n", nil,
		[]string{`t.yaml:6:17: stage "a": param "n": -1 is below the minimum 0; want an int >= 0`}},
	{"validator in a sweep", "name: e\nmatrix: {k: [5, 6]}\nstages:\n  src: {kind: fake}\n  p: {kind: fakepair, inputs: {a: src}, params: {lo: \"${k}\", hi: 1}}\n", nil,
		[]string{`t.yaml:5:49: stage "p": params lo=5 and hi=1: want lo < hi`}},
	{"reference in params", "name: e\nparams: {m: 1, k: \"${m}\"}\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:2:19: param "k": params cannot refer to other params or axes; want a plain value or list`}},
	{"axis named like a param", "name: e\nparams: {k: 1}\nmatrix: {k: [1]}\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:3:10: matrix axis "k" has the same name as a param; want distinct names`}},
	{"reference in an axis", "name: e\nparams: {m: 1}\nmatrix: {k: [1, \"x${m}\"]}\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:3:13: matrix axis "k": values cannot refer to params or axes; want plain values`}},
	{"empty axis", "name: e\nmatrix: {alpha: []}\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:2:17: matrix axis "alpha": want a non-empty list of values`}},
	{"too many cells", "name: e\nmatrix:\n  a: [1,2,3,4,5,6,7,8,9,10]\n  b: [1,2,3,4,5,6,7,8,9,10]\n  c: [1,2,3,4,5,6,7,8,9,10]\n  d: [1,2,3,4,5,6,7,8,9,10]\n  e: [1,2,3,4,5,6,7,8,9,10]\n  f: [1,2]\nstages: {a: {kind: fake}}\n", nil,
		[]string{`t.yaml:3:3: matrix: 200000 cells; want at most 100000 in one experiment (split the sweep, or pin axes with --set)`}},
	{"too many cells after --set", "name: e\nmatrix:\n  a: [1,2,3,4,5,6,7,8,9,10]\n  b: [1,2,3,4,5,6,7,8,9,10]\n  c: [1,2,3,4,5,6,7,8,9,10]\n  d: [1,2,3,4,5,6,7,8,9,10]\n  e: [1]\nstages: {a: {kind: fake}}\n", []string{"e=[1,2,3,4,5,6,7,8,9,10,11]"},
		[]string{`t.yaml:3:3: matrix: 110000 cells; want at most 100000 in one experiment (split the sweep, or pin axes with --set)`}},
	{"set of an unknown key", "name: e\nparams: {m: 1}\nmatrix: {k: [1]}\nstages: {a: {kind: fake}}\n", []string{"q=2"},
		[]string{`t.yaml: --set "q=2": "q" is neither a param nor a matrix axis; want one of m, k`}},
	{"set without a value", "name: e\nparams: {m: 1}\nstages: {a: {kind: fake}}\n", []string{"m"},
		[]string{`t.yaml: --set "m": want key=value`}},
	{"set of an axis to nothing", "name: e\nmatrix: {k: [1]}\nstages: {a: {kind: fake}}\n", []string{"k=[]"},
		[]string{`t.yaml: --set "k=[]": matrix axis "k": got an empty list; want a value or a non-empty list`}},
	{"set of the wrong type", "name: e\nparams: {m: 1}\nstages: {a: {kind: fake, params: {n: \"${m}\"}}}\n", []string{"m=x"},
		[]string{`t.yaml:3:38: stage "a": param "n": got the string "x"; want an int >= 0`}},
	{"yaml syntax", "name: e\nstages: {a: [}\n", nil,
		// yaml.v3 reports this syntax error at the line where the flow began.
		[]string{`t.yaml:1:1: not valid YAML: did not find expected node content`}},
	{"several at once", "name: e\nstages:\n  a:\n    kind: fake\n    params: {n: -1, mode: z, bogus: 1}\n  b: {kind: nokind}\n  c: {kind: fake, inputs: {x: d}}\n", []string{"x=1"},
		[]string{
			`t.yaml: --set "x=1": "x" is neither a param nor a matrix axis; this experiment declares no params or matrix axes`,
			`t.yaml:5:17: stage "a": param "n": -1 is below the minimum 0; want an int >= 0`,
			`t.yaml:5:27: stage "a": param "mode": "z" is not one of a, b`,
			`t.yaml:5:30: stage "a": unknown param "bogus" for kind fake; want one of n, alpha, mode, flag, ranks, names, tag`,
			`t.yaml:6:13: stage "b": unknown stage kind "nokind"; known kinds: `,
			`t.yaml:7:31: stage "c": input "x" refers to unknown stage "d"; want one of a, b, c`,
		}},
}

func TestValidationErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, tc.yaml, tc.sets, tc.want)
		})
	}
}

// TestSeveralErrorsFromFile reads a fixture with many problems: all are
// reported together, in file order.
func TestSeveralErrorsFromFile(t *testing.T) {
	src, err := os.ReadFile("testdata/invalid-many.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, string(src), nil, []string{
		`t.yaml:1:7: name "Many_Problems": want lowercase letters, digits and dashes ([a-z0-9-]+)`,
		`t.yaml:7:3: stage "data": inputs form a cycle: data -> model -> data; want an acyclic chain of inputs`,
		`t.yaml:10:21: stage "data": param "alpha": ${beta} is not defined; want a params entry or a matrix axis`,
		`t.yaml:11:5: stage "data": unknown key "input"; want one of kind, params, inputs, temp`,
		`t.yaml:13:11: stage "model": unknown stage kind "fak"; known kinds: `,
		`t.yaml:17:18: stage "fit": param "lo": got the string "low"; want a number`,
		`t.yaml:18:26: stage "fit": input "b" refers to unknown stage "nowhere"; want one of data, model, fit`,
		`t.yaml:18:35: stage "fit": unknown input "c" for kind fakepair; want one of a, b`,
	})
}

func checkProblems(t *testing.T, src string, sets, want []string) {
	t.Helper()
	_, err := Parse("t.yaml", []byte(src), sets)
	var inv *InvalidError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &inv) {
		t.Fatalf("err = %v, want an *InvalidError", err)
	}
	got := inv.Errs.Errors
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i].Error()
		if g != w && !(strings.HasSuffix(w, ": ") && strings.HasPrefix(g, w)) {
			t.Errorf("problem %d:\n got %s\nwant %s", i, g, w)
		}
	}
}
