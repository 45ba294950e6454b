// Package cache is eigenlab's content-addressed store: artifact blobs named
// by the digest of their canonical content, and action records mapping the
// key of a repeatable computation to the digests of its outputs.
//
// It follows the two-level design of Go's build cache: an ActionKey
// describes a computation completely (stage kind, version, parameters,
// input digests, seed); a Digest names an output by what it contains.
// A stage whose inputs changed but whose outputs did not yields the same
// digests, so everything downstream keeps its action keys (early cutoff).
//
// A cache directory may be shared by several processes on one machine:
// writes go to a temporary file that is fsynced and renamed into place, and
// per-key file locks let one process compute a key while the others wait.
// It is not safe on network file systems whose flock or rename are not
// atomic (NFS without lock support).
//
// The cache imports only the standard library, internal packages and
// ndarray, the leaf package that defines the canonical digest (Digest is
// ndarray.Digest): it knows arrays by their digest, never stages, runs or
// provenance (DESIGN.md; importrules_test.go enforces it).
package cache

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/eigenlab/eigenlab/ndarray"
)

// ActionKey is the SHA-256 of a complete description of a repeatable
// computation. Two stage executions with equal keys must produce equal
// outputs.
type ActionKey [32]byte

// String returns the lowercase hex form of k.
func (k ActionKey) String() string { return hex.EncodeToString(k[:]) }

// ParseActionKey parses the 64-digit hex form of an action key.
func ParseActionKey(s string) (ActionKey, error) {
	d, err := ndarray.ParseDigest(s)
	return ActionKey(d), err
}

// KeyBuilder accumulates the readable lines that describe an action and
// hashes them into an ActionKey. Keeping the lines lets `eigenlab plan`
// explain a cache miss as a diff of two texts.
type KeyBuilder struct{ text []byte }

// Add adds the line "name value" to the description.
func (b *KeyBuilder) Add(name, value string) {
	if b.text == nil {
		b.text = make([]byte, 0, 1024) // most descriptions fit: one allocation
	}
	b.text = append(append(append(append(b.text, name...), ' '), value...), '\n')
}

// Text returns the description, one line per entry, in insertion order.
func (b *KeyBuilder) Text() string { return string(b.text) }

// Key hashes the description.
func (b *KeyBuilder) Key() ActionKey {
	h := sha256.New()
	h.Write([]byte(keyScheme))
	h.Write(b.text)
	return ActionKey(h.Sum(nil))
}

// keyScheme starts every hashed description; a new scheme would name
// itself here.
const keyScheme = "eigenlab-action-v1\n"
