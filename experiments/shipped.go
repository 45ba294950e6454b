package experiments

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
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
func Load(ref string, sets []string) (*Plan, error) {
	if src, err := os.ReadFile(ref); err == nil {
		return Parse(ref, src, sets)
	} else if strings.HasSuffix(ref, ".yaml") || strings.HasSuffix(ref, ".yml") {
		return nil, fmt.Errorf("experiment %s: %w", ref, err)
	}
	src, err := shipped.ReadFile(path.Join("shipped", ref+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("experiment %q: no such file and no shipped experiment of that name; shipped: %s", ref, strings.Join(Shipped(), ", "))
	}
	return Parse("shipped/"+ref+".yaml", src, sets)
}
