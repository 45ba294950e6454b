// Package stages holds every stage kind eigenlab can run, one kind per file,
// each a pure function of its inputs and parameters, and the artifact
// contract they exchange (arrays and records from package ndarray, models
// from here). Stages know nothing of caching, scheduling or provenance.
package stages

import "github.com/eigenlab/eigenlab/ndarray"

// Artifact is one named output of a stage: an *ndarray.Array, an
// *ndarray.ArrayFile, an ndarray.Record or a *Model.
type Artifact interface {
	// Digest is the SHA-256 of the canonical content (see ndarray.Digest).
	Digest() ndarray.Digest
	// Describe is a short human form: "float64[100 50]" or "record{alpha,...}".
	Describe() string
}
