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
package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Digest is the SHA-256 of an artifact's canonical content: for an array its
// dtype, shape and raw little-endian values, never the bytes of a container
// file, so re-saving the same values in another .npy does not change it.
type Digest [32]byte

// ActionKey is the SHA-256 of a complete description of a repeatable
// computation. Two stage executions with equal keys must produce equal
// outputs.
type ActionKey [32]byte

// String returns the lowercase hex form of d.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Short returns the first 12 hex digits of d, enough to name it to a user.
func (d Digest) Short() string { return d.String()[:12] }

// IsZero reports whether d is the zero digest (no artifact).
func (d Digest) IsZero() bool { return d == Digest{} }

// String returns the lowercase hex form of k.
func (k ActionKey) String() string { return hex.EncodeToString(k[:]) }

// ParseDigest parses the 64-digit hex form of a digest.
func ParseDigest(s string) (Digest, error) {
	var d Digest
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(d) {
		return d, fmt.Errorf("digest %q: want 64 hex digits", s)
	}
	copy(d[:], b)
	return d, nil
}

// ParseActionKey parses the 64-digit hex form of an action key.
func ParseActionKey(s string) (ActionKey, error) {
	d, err := ParseDigest(s)
	return ActionKey(d), err
}

// ArrayHasher computes the canonical digest of an array. Write the raw
// little-endian element bytes in C order to it, then call Sum.
type ArrayHasher struct{ h hash.Hash }

// NewArrayHasher starts the digest of an array of the given numpy dtype
// name (e.g. "float32") and shape. The header is length-prefixed so that no
// two (dtype, shape) pairs can produce the same prefix.
func NewArrayHasher(dtype string, shape []int) *ArrayHasher {
	h := sha256.New()
	dims := make([]string, len(shape))
	for i, n := range shape {
		dims[i] = strconv.Itoa(n)
	}
	header := "eigenlab-array-v1\n" + dtype + "\n" + strings.Join(dims, ",") + "\n"
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	h.Write(n[:])
	h.Write([]byte(header))
	return &ArrayHasher{h: h}
}

// Write adds raw little-endian element bytes to the digest.
func (a *ArrayHasher) Write(p []byte) (int, error) { return a.h.Write(p) }

// Sum returns the digest.
func (a *ArrayHasher) Sum() Digest {
	var d Digest
	copy(d[:], a.h.Sum(nil))
	return d
}

// DigestRecord returns the canonical digest of a record artifact given its
// canonical JSON encoding (sorted keys, shortest round-trip numbers).
func DigestRecord(canonicalJSON []byte) Digest {
	h := sha256.New()
	h.Write([]byte("eigenlab-record-v1\n"))
	h.Write(canonicalJSON)
	var d Digest
	copy(d[:], h.Sum(nil))
	return d
}

// KeyBuilder accumulates the readable lines that describe an action and
// hashes them into an ActionKey. Keeping the lines lets `eigenlab plan`
// explain a cache miss as a diff of two texts.
type KeyBuilder struct{ lines []string }

// Line adds one "name value" line to the description.
func (b *KeyBuilder) Line(format string, args ...any) {
	b.lines = append(b.lines, fmt.Sprintf(format, args...))
}

// Text returns the description, one line per entry, in insertion order.
func (b *KeyBuilder) Text() string { return strings.Join(b.lines, "\n") + "\n" }

// Key hashes the description.
func (b *KeyBuilder) Key() ActionKey {
	return ActionKey(sha256.Sum256([]byte("eigenlab-action-v1\n" + b.Text())))
}
