package stages

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Stage is one kind of computation. Implementations are pure: the outputs
// depend only on the inputs and the parameters (including "seed"), never
// on time, global state, thread count or scheduling order.
type Stage interface {
	// Kind is the name used in YAML (`kind: spectrum`).
	Kind() string
	// Version changes whenever the numerics change, so cached results of
	// older code are not reused.
	Version() string
	// Doc is a paragraph for `eigenlab stages`.
	Doc() string
	// Params is the parameter schema.
	Params() []ParamSpec
	// Inputs names the inputs the stage reads.
	Inputs() []InputSpec
	// Outputs names the outputs the stage writes for these parameters; the
	// first is the default that a bare `STAGE` reference means.
	Outputs(p Params) []string
	// Resources estimates what one execution needs, for the scheduler.
	Resources(p Params) Resources
	// Run computes the outputs. It returns an error for bad input data,
	// naming the input and the expected form. Outputs too large to build
	// in memory are written into scratch (scratch.CreateArray); whoever
	// runs the stage owns scratch, takes those outputs over and removes
	// the rest. Stages that build their outputs in memory ignore it.
	Run(ctx context.Context, scratch *ndarray.Scratch, in Inputs, p Params) (Outputs, error)
}

// ParamVersioner is implemented by stages whose numerics are chosen by a
// parameter (load: its source). Their version then names the chosen
// implementation's own version, so changing one source invalidates the
// cached outputs of that source alone.
type ParamVersioner interface {
	VersionFor(p Params) string
}

// VersionOf is the version that enters s's action key and provenance
// record for params p: VersionFor(p) where s implements ParamVersioner,
// else Version().
func VersionOf(s Stage, p Params) string {
	if v, ok := s.(ParamVersioner); ok {
		return v.VersionFor(p)
	}
	return s.Version()
}

// Validator is implemented by stages whose parameters constrain each
// other (e.g. a rank range with lo < hi); it runs before anything executes.
type Validator interface {
	Validate(p Params) error
}

// Defaulter is implemented by stages whose defaults depend on another
// parameter (the load stage's defaults depend on its source). The parser
// calls Defaults after filling the schema's own defaults and before
// Validate; it adds missing entries to p in place.
type Defaulter interface {
	Defaults(p Params)
}

// SpecResolver is implemented by stages whose parameters mean different
// things depending on another parameter (load: on its source). Errors
// about a parameter then quote the meaning that applies.
type SpecResolver interface {
	ResolveSpec(p Params, name string) (ParamSpec, bool)
}

// InputSpec declares one named input.
type InputSpec struct {
	Name     string
	Doc      string
	Optional bool
}

// Resources is what a stage execution needs from the machine.
type Resources struct {
	Threads  int   // worker slots the execution occupies (≥ 1)
	MemBytes int64 // rough peak memory estimate, 0 if unknown
}

// Inputs are a stage's resolved input artifacts by input name.
type Inputs map[string]Artifact

// Array returns input name as an array, with an error naming the input if
// it is missing or not an array.
func (in Inputs) Array(name string) (*ndarray.Array, error) {
	a, ok := in[name]
	if !ok {
		return nil, fmt.Errorf("input %q is missing", name)
	}
	arr, err := AsArray(a)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	return arr, nil
}

// Outputs are a stage's results by output name.
type Outputs map[string]Artifact

// RNG returns the random stream of a stage instance: seeded by the "seed"
// parameter and the stage kind, so two kinds given the same seed draw
// independent streams and a stage never reads global random state.
func RNG(kind string, seed int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(kind))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

var registry = map[string]Stage{}

// Register adds a stage kind; it panics on a duplicate (a programmer error).
func Register(s Stage) {
	if _, dup := registry[s.Kind()]; dup {
		panic("stages: duplicate kind " + s.Kind())
	}
	registry[s.Kind()] = s
}

// Lookup returns the stage of the given kind.
func Lookup(kind string) (Stage, bool) {
	s, ok := registry[kind]
	return s, ok
}

// Kinds lists the registered kinds in sorted order.
func Kinds() []string {
	ks := make([]string, 0, len(registry))
	for k := range registry {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Spec returns the named parameter spec of s.
func Spec(s Stage, name string) (ParamSpec, bool) {
	for _, p := range s.Params() {
		if p.Name == name {
			return p, true
		}
	}
	return ParamSpec{}, false
}
