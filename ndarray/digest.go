package ndarray

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Digest is the SHA-256 of an artifact's canonical content: for an array its
// dtype, shape and raw little-endian values, never the bytes of a container
// file, so re-saving the same values in another .npy does not change it. The
// cache names its blobs by it.
type Digest [32]byte

// ErrCorrupt is wrapped when content no longer matches the digest it was
// stored under (a file-backed array that changed, a damaged cache blob). The
// cache's ErrCorrupt is this same value, so errors.Is works whichever layer
// found the damage.
var ErrCorrupt = errors.New("corrupt cache entry")

// String returns the lowercase hex form of d.
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// Short returns the first 12 hex digits of d, enough to name it to a user.
func (d Digest) Short() string { return d.String()[:12] }

// IsZero reports whether d is the zero digest (no artifact).
func (d Digest) IsZero() bool { return d == Digest{} }

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

// ArrayHasher computes the canonical digest of an array. Write the raw
// little-endian element bytes in C order to it, then call Sum.
type ArrayHasher struct{ h hash.Hash }

// NewArrayHasher starts the digest of an array of the given dtype and
// shape. The header is length-prefixed so that no two (dtype, shape) pairs
// can produce the same prefix.
func NewArrayHasher(dtype DType, shape []int) *ArrayHasher {
	h := sha256.New()
	dims := make([]string, len(shape))
	for i, n := range shape {
		dims[i] = strconv.Itoa(n)
	}
	header := "eigenlab-array-v1\n" + string(dtype) + "\n" + strings.Join(dims, ",") + "\n"
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
