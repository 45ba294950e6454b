package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// verifyBelow is the blob size under which every read re-hashes the
// artifact. Larger blobs are re-hashed when decoded for a consumer (which
// reads every byte anyway) and by `eigenlab verify`.
const verifyBelow = 64 << 20

// store moves artifacts between stages and the cache.
type store struct{ c *cache.Cache }

// put writes every output blob and returns their digests in name order.
func (s store) put(outs stages.Outputs) ([]cache.Output, error) {
	res := make([]cache.Output, 0, len(outs))
	for _, name := range sortedNames(outs) {
		a := outs[name]
		d := a.Digest()
		if err := s.c.PutBlob(d, func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<20)
			if err := stages.WriteArtifact(bw, a); err != nil {
				return err
			}
			return bw.Flush()
		}); err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		res = append(res, cache.Output{Name: name, Digest: d, Size: blobSize(s.c, d)})
	}
	return res, nil
}

// load decodes a blob and checks that its content still has digest d.
// A mismatch evicts the blob and returns an error wrapping cache.ErrCorrupt.
func (s store) load(d cache.Digest) (stages.Artifact, error) {
	f, err := s.c.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := stages.ReadArtifact(f)
	if err != nil || a.Digest() != d {
		f.Close()
		s.c.EvictBlob(d)
		return nil, fmt.Errorf("artifact %s: %w", d.Short(), errors.Join(cache.ErrCorrupt, err))
	}
	return a, nil
}

// LoadArtifact reads an artifact from the cache, checking its digest.
func LoadArtifact(c *cache.Cache, d cache.Digest) (stages.Artifact, error) {
	return store{c}.load(d)
}

// intact reports whether every output of an action record is present and,
// for blobs under verifyBelow, still hashes to its digest.
func (s store) intact(e cache.Entry) bool {
	for _, o := range e.Outputs {
		if !s.c.HasBlob(o.Digest) {
			return false
		}
		if o.Size < verifyBelow {
			if err := s.c.Verify(o.Digest, Rehash); err != nil {
				return false
			}
		}
	}
	return true
}

// Rehash is the decoder the cache uses to verify a blob: it decodes the
// artifact and returns the digest of its canonical content.
func Rehash(r io.Reader) (cache.Digest, error) {
	a, err := stages.ReadArtifact(r)
	if err != nil {
		return cache.Digest{}, err
	}
	return a.Digest(), nil
}

func blobSize(c *cache.Cache, d cache.Digest) int64 {
	f, err := c.OpenBlob(d)
	if err != nil {
		return 0
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0
	}
	return info.Size()
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sortStrings(names)
	return names
}

// describe builds the provenance row of an output from its blob header.
func (s *scheduler) describe(name string, d cache.Digest, size int64) results.Edge {
	e := results.Edge{Name: name, Digest: d, Bytes: size}
	f, err := s.r.Cache.OpenBlob(d)
	if err != nil {
		return e
	}
	defer f.Close()
	if h, err := stages.PeekHeader(f); err == nil {
		e.Kind, e.DType, e.Shape = h.Kind, string(h.DType), h.Shape
	}
	return e
}
