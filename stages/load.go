package stages

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Source is one way the load stage can produce data: arrays from files,
// planted spectra, images. Each source lives in its own load_*.go file and
// registers itself, contributing the parameters it reads.
type Source struct {
	Name string
	// Version changes whenever this source's outputs change; it enters
	// the load stage's version (VersionFor), empty meaning "1".
	Version string
	Doc     string
	Params  []ParamSpec // parameters this source reads (shared names must agree)
	Outputs []string    // output names; the first is the default
	// OutputsFor, when set, replaces Outputs for sources whose outputs
	// depend on their params (hdf5: x or responses, groups when asked).
	OutputsFor func(p Params) []string
	Run        func(ctx context.Context, p Params) (Outputs, error)
	// Validate checks parameter combinations before anything runs (optional).
	Validate func(p Params) error
	// Resources estimates the cost (optional; default one thread).
	Resources func(p Params) Resources
}

var sources = map[string]Source{}

// RegisterSource adds a load source; duplicate names are a programmer error.
func RegisterSource(s Source) {
	if _, dup := sources[s.Name]; dup {
		panic("stages: duplicate load source " + s.Name)
	}
	sources[s.Name] = s
}

func sourceNames() []string {
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// load is the stage that brings data into a pipeline.
type load struct{}

func init() { Register(load{}) }

func (load) Kind() string    { return "load" }
func (load) Version() string { return "1" }

// VersionFor is the load stage's version followed by its source's own,
// e.g. "1/photos.1": editing one source's code and bumping its Version
// leaves the other sources' cached outputs valid.
func (l load) VersionFor(p Params) string {
	src := p.String("source")
	v := "1"
	if s, ok := sources[src]; ok {
		v = cmp.Or(s.Version, v)
	}
	return fmt.Sprintf("%s/%s.%s", l.Version(), src, v)
}

func (load) Doc() string {
	var b strings.Builder
	b.WriteString("Brings data into the experiment. The source parameter picks one of:\n")
	for _, n := range sourceNames() {
		fmt.Fprintf(&b, "  %-14s %s (source version %s)\n", n, sources[n].Doc, cmp.Or(sources[n].Version, "1"))
	}
	return b.String()
}

func (load) Params() []ParamSpec {
	loadSpecs.mu.Lock()
	defer loadSpecs.mu.Unlock()
	if loadSpecs.sources != len(sources) {
		loadSpecs.specs, loadSpecs.sources = buildLoadParams(), len(sources)
	}
	return slices.Clone(loadSpecs.specs) // callers may not write into the memo
}

// loadSpecs memoizes load's params: every action key reads them, and
// formatting their docs cost a quarter of `plan` over 100,000 cells. They
// are rebuilt when a source is registered after the first call.
var loadSpecs struct {
	mu      sync.Mutex
	specs   []ParamSpec
	sources int
}

// buildLoadParams merges the params of every source.
func buildLoadParams() []ParamSpec {
	specs := []ParamSpec{{Name: "source", Type: String, Choices: sourceNames(),
		Doc: "where the data comes from"}}
	index := map[string]int{"source": 0}
	for _, n := range sourceNames() {
		for _, p := range sources[n].Params {
			doc := fmt.Sprintf("[%s] %s", n, p.Doc)
			if p.Default != nil {
				doc += fmt.Sprintf(" (default %s)", FormatValue(p.Default))
			}
			if i, ok := index[p.Name]; ok {
				// A name several sources read: one spec, each source's meaning.
				specs[i].Doc += "; " + doc
				continue
			}
			// Defaults and required-ness depend on the source: Defaults and
			// Validate apply them, so no other source's default enters the key.
			q := p
			q.Default, q.Optional, q.Doc = nil, true, doc
			index[p.Name] = len(specs)
			specs = append(specs, q)
		}
	}
	return specs
}

// ResolveSpec implements SpecResolver: the spec of name as the chosen
// source reads it.
func (load) ResolveSpec(p Params, name string) (ParamSpec, bool) {
	for _, spec := range sources[p.String("source")].Params {
		if spec.Name == name {
			return spec, true
		}
	}
	return ParamSpec{}, false
}

func (load) Inputs() []InputSpec { return nil }

func (load) Outputs(p Params) []string {
	if s := sources[p.String("source")]; s.OutputsFor != nil {
		return s.OutputsFor(p)
	}
	return sources[p.String("source")].Outputs
}

func (load) Resources(p Params) Resources {
	if s := sources[p.String("source")]; s.Resources != nil {
		return s.Resources(p)
	}
	return Resources{Threads: 1}
}

// Defaults fills in the defaults of the chosen source's parameters.
func (load) Defaults(p Params) {
	for _, spec := range sources[p.String("source")].Params {
		if !p.Has(spec.Name) && spec.Default != nil {
			p[spec.Name] = spec.Default
		}
	}
}

// Validate checks that the parameters the chosen source requires are set
// and that no other source's parameters were given.
func (load) Validate(p Params) error {
	src := sources[p.String("source")]
	mine := map[string]bool{"source": true}
	var missing []string
	for _, spec := range src.Params {
		mine[spec.Name] = true
		if spec.Default == nil && !spec.Optional && !p.Has(spec.Name) {
			missing = append(missing, spec.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("source %q needs param(s) %s", src.Name, strings.Join(missing, ", "))
	}
	var foreign []string
	for name := range p {
		if !mine[name] {
			foreign = append(foreign, name)
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return fmt.Errorf("param(s) %s do not apply to source %q", strings.Join(foreign, ", "), src.Name)
	}
	if src.Validate != nil {
		return src.Validate(p)
	}
	return nil
}

func (load) Run(ctx context.Context, _ *ndarray.Scratch, _ Inputs, p Params) (Outputs, error) {
	return sources[p.String("source")].Run(ctx, p)
}
