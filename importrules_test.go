// Package eigenlab_test holds checks that span the whole module.
package eigenlab_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is the import path of this module.
const module = "github.com/eigenlab/eigenlab"

// importRule forbids the packages matching from (a path relative to the
// module, with "/..." meaning it and everything below) to depend, directly
// or through another package, on any project package that bad reports.
type importRule struct {
	from string
	why  string
	bad  func(dep string) bool
}

// under reports whether pkg is dir or below it (both module-relative).
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// anyOf forbids dependencies under any of dirs.
func anyOf(dirs ...string) func(string) bool {
	return func(dep string) bool {
		for _, d := range dirs {
			if under(dep, d) {
				return true
			}
		}
		return false
	}
}

// except forbids every project package but those under dirs.
func except(dirs ...string) func(string) bool {
	allowed := anyOf(dirs...)
	return func(dep string) bool { return !allowed(dep) }
}

// importRules is the layering of DESIGN.md: data flows YAML → experiments
// → runner → stages → cache and results, and no layer knows the ones that
// use it.
var importRules = []importRule{
	{"stages/...", "a stage never knows it is scheduled, recorded or cached", anyOf("runner", "results", "cache")},
	{"cache/...", "the cache is stdlib-only but for the canonical digest (ndarray)", except("ndarray", "internal")},
	{"ndarray/...", "ndarray is the leaf of the artifact layer", except("internal")},
	{"results/...", "provenance is read without the scheduler", anyOf("runner")},
	{"experiments/...", "the parser does not run what it parses", anyOf("runner")},
}

// listedPackage is the part of `go list -json` output the rules read.
type listedPackage struct {
	ImportPath string
	Deps       []string
}

// projectDeps lists every package of the module with the project
// packages it depends on, transitively, as module-relative paths (test
// files excluded: the rules are about what the code links).
func projectDeps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		rel, ok := relative(p.ImportPath)
		if !ok {
			continue
		}
		deps[rel] = []string{}
		for _, d := range p.Deps {
			if r, ok := relative(d); ok {
				deps[rel] = append(deps[rel], r)
			}
		}
	}
	return deps
}

// relative returns a project package's path relative to the module.
func relative(pkg string) (string, bool) {
	return strings.CutPrefix(pkg, module+"/")
}

// checkImports returns one message per forbidden dependency in deps.
func checkImports(deps map[string][]string, rules []importRule) []string {
	var bad []string
	for _, r := range rules {
		from := strings.TrimSuffix(r.from, "/...")
		for pkg, ds := range deps {
			if !under(pkg, from) {
				continue
			}
			for _, d := range ds {
				if r.bad(d) {
					bad = append(bad, pkg+" depends on "+d+" ("+r.from+": "+r.why+")")
				}
			}
		}
	}
	return bad
}

// TestImportRules fails when a package depends on one its layer must not
// know (DESIGN.md's layout table).
func TestImportRules(t *testing.T) {
	deps := projectDeps(t)
	for _, pkg := range []string{"stages", "cache", "ndarray", "results", "experiments"} {
		if _, ok := deps[pkg]; !ok {
			t.Fatalf("go list did not list %s; the rules would check nothing", pkg)
		}
	}
	for _, msg := range checkImports(deps, importRules) {
		t.Error(msg)
	}
}

// TestImportRulesCatch: each rule reports a planted forbidden edge, and
// only forbidden ones.
func TestImportRulesCatch(t *testing.T) {
	for _, tc := range []struct {
		pkg, dep string
		want     bool
	}{
		{"stages", "cache", true},
		{"stages/nn", "runner", true},
		{"stages", "results/report", true},
		{"stages", "ndarray", false},
		{"cache", "stages", true},
		{"cache", "ndarray", false},
		{"cache", "internal/atomicfile", false},
		{"ndarray", "cache", true},
		{"ndarray", "internal/regular", false},
		{"results/report", "runner", true},
		{"results", "stages", false},
		{"experiments", "runner", true},
		{"runner", "results", false},
	} {
		got := len(checkImports(map[string][]string{tc.pkg: {tc.dep}}, importRules)) > 0
		if got != tc.want {
			t.Errorf("%s → %s: forbidden=%v, want %v", tc.pkg, tc.dep, got, tc.want)
		}
	}
}
