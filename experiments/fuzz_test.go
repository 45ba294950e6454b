package experiments

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must return a
// consistent plan or an *InvalidError whose problems name the file, and
// never panic. The corpus is every fixture, shipped experiment and
// error case.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	shipped, _ := filepath.Glob("shipped/*.yaml")
	for _, name := range append(files, shipped...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte(respelled))
	for _, tc := range errorCases {
		f.Add([]byte(tc.yaml))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz.yaml", src, nil)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		checkPlan(t, p)
	})
}

func checkInvalid(t *testing.T, err error) {
	var inv *InvalidError
	if !errors.As(err, &inv) || len(inv.Errs.Errors) == 0 {
		t.Fatalf("error %v is not an *InvalidError with problems", err)
	}
	for _, e := range inv.Errs.Errors {
		if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
			t.Fatalf("problem %q does not name the file", e)
		}
	}
}

// checkPlan checks that every cell has exactly one instance of every
// stage and that inputs come before the instances that read them.
func checkPlan(t *testing.T, p *Plan) {
	seen := map[*Instance]bool{}
	perStage := map[string]int{}
	for _, inst := range p.Instances {
		if len(inst.ID) != 64 || len(inst.Cells) == 0 {
			t.Fatalf("instance %s: ID %q, cells %v", inst.Name, inst.ID, inst.Cells)
		}
		for _, in := range inst.Inputs {
			if !seen[in.From] {
				t.Fatalf("%s reads %s before it is planned", inst.Name, in.From.Name)
			}
		}
		seen[inst] = true
		perStage[inst.Name] += len(inst.Cells)
		for _, c := range inst.Cells {
			if p.Lookup(inst.Name, c) != inst {
				t.Fatalf("Lookup(%s, %d) is not the instance that lists the cell", inst.Name, c)
			}
		}
	}
	for name, n := range perStage {
		if n != len(p.Cells) {
			t.Fatalf("stage %s covers %d of %d cells", name, n, len(p.Cells))
		}
	}
}
