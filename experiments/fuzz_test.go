package experiments

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must return a plan or
// an error, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sweep))
	f.Add([]byte("name: e\nstages:\n  a: {kind: fake, inputs: {x: b}}\n  b: {kind: fake, inputs: {x: a}}\n"))
	f.Add([]byte("name: e\nmatrix: {a: [1, 2.5, x, true]}\nstages: {s: {kind: fake, params: {tag: \"${a}-${a}\"}}}\n"))
	files, _ := filepath.Glob("shipped/*.yaml")
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("fuzz.yaml", src, nil)
		if err == nil && p == nil {
			t.Fatal("nil plan without an error")
		}
	})
}
