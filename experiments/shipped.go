package experiments

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// shipped holds the experiments that come with eigenlab, runnable by name.
//
//go:embed shipped/*.yaml
var shipped embed.FS

// Shipped lists the names of the shipped experiments.
func Shipped() []string {
	entries, _ := shipped.ReadDir("shipped")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Load reads an experiment from a YAML file path, or, if ref names no file
// and has no .yaml/.yml suffix, from the shipped experiment of that name.
// A path that exists but is not a regular file (/dev/zero, a FIFO) is an
// error naming it, never read.
func Load(ref string, sets []string) (*Plan, error) {
	return LoadWith(ref, sets, Parse)
}

// ParseFunc parses an experiment's YAML into a plan: Parse or Stream.
type ParseFunc func(filename string, src []byte, sets []string) (*Plan, error)

// LoadWith is Load with parse in place of Parse.
func LoadWith(ref string, sets []string, parse ParseFunc) (*Plan, error) {
	info, err := os.Stat(ref)
	if err == nil && !info.IsDir() || strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		src, err := regular.ReadFile(ref)
		if err != nil {
			return nil, fmt.Errorf("experiment %s: %w", ref, err)
		}
		return parse(ref, src, sets)
	}
	src, err := shipped.ReadFile(path.Join("shipped", ref+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("experiment %q: no such file and no shipped experiment of that name; shipped: %s", ref, strings.Join(Shipped(), ", "))
	}
	return parse("shipped/"+ref+".yaml", src, sets)
}
