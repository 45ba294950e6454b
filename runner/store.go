package runner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// verifyBelow is the blob size under which every read re-hashes the
// artifact. Larger blobs are re-hashed when decoded for a consumer (which
// reads every byte anyway) and by `eigenlab verify`.
var verifyBelow int64 = 64 << 20 // a variable so tests can lower it

// DefaultStreamAbove is the input size, in bytes, above which the runner
// hands an array to its stage as a ndarray.ArrayFile (values left in the
// cache blob, read on demand) instead of decoding it into memory: the
// memory budget of one input (see Runner.StreamAbove).
const DefaultStreamAbove = 1 << 30

// store moves artifacts between stages and the cache.
type store struct{ c *cache.Cache }

// blobWriters are the buffers outputs are encoded through, reused: a new
// 1 MiB buffer per output (most are a few bytes), zeroed and collected,
// was half the user CPU of a cold sweep of tiny stages.
var blobWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 1<<20) }}

// put stores every output blob and returns their digests, sizes and
// stamps in name order.
// An ArrayFile that the execution wrote into scratch becomes its blob by
// rename (cache.AdoptBlob), and its Path then names the blob; any other
// artifact is encoded into the cache.
func (s store) put(outs stages.Outputs, scratch *ndarray.Scratch) ([]cache.Output, error) {
	res := make([]cache.Output, 0, len(outs))
	for _, name := range slices.Sorted(maps.Keys(outs)) {
		a := outs[name]
		d := a.Digest()
		// A blob written here is stamped as known good. One found present
		// (another cell's output of equal content: a shared scalar, an
		// identical array) is re-hashed now and stamped if good, so the
		// next lookup trusts it instead of re-hashing it and rewriting
		// this record; above verifyBelow lookups never re-hash, so neither
		// does this.
		fresh := !s.c.HasBlob(d)
		var err error
		if f, ok := a.(*ndarray.ArrayFile); ok && scratch.Owns(f.Path) {
			if err = s.c.AdoptBlob(d, f.Path); err == nil {
				f.Path = s.c.BlobPath(d)
			}
		} else {
			err = s.c.PutBlob(d, func(w io.Writer) error {
				bw := blobWriters.Get().(*bufio.Writer)
				defer blobWriters.Put(bw)
				bw.Reset(w)
				if err := stages.WriteArtifact(bw, a); err != nil {
					return err
				}
				return bw.Flush()
			})
		}
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		st, err := s.c.BlobStamp(d)
		if err == nil && !fresh && st.Size < verifyBelow {
			st, err = s.c.VerifyStamped(d, cache.Stamp{}, Rehash)
		}
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		o := cache.Output{Name: name, Digest: d, Size: st.Size, Meta: outputMeta(a)}
		if fresh || st.Size < verifyBelow {
			o.Stamp = st
		}
		res = append(res, o)
	}
	return res, nil
}

// input returns blob d as a stage sees it: an ArrayFile over the blob when
// it is an array of more than streamAbove bytes, the decoded artifact
// otherwise. Either way the content was checked against d (the ArrayFile
// by one streaming pass, in constant memory); a mismatch evicts the blob
// and returns an error wrapping cache.ErrCorrupt.
func (s store) input(d ndarray.Digest, streamAbove int64) (stages.Artifact, error) {
	f, err := s.c.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() <= streamAbove {
		return s.decode(d, f)
	}
	if h, err := stages.PeekHeader(f, info.Size()); err != nil || h.Kind != "array" || h.DType == "" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return s.decode(d, f)
	}
	a, err := ndarray.OpenArrayFile(f.Name(), d)
	if err != nil {
		s.c.EvictBlob(d)
		return nil, fmt.Errorf("artifact %s: %w", d.Short(), errors.Join(cache.ErrCorrupt, err))
	}
	return a, nil
}

// load decodes a blob and checks that its content still has digest d.
// A mismatch evicts the blob and returns an error wrapping cache.ErrCorrupt.
func (s store) load(d ndarray.Digest) (stages.Artifact, error) {
	f, err := s.c.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.decode(d, f)
}

// decode reads blob d from f, which the caller closes, and checks it.
func (s store) decode(d ndarray.Digest, f *os.File) (stages.Artifact, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := stages.ReadArtifact(f, info.Size())
	if err != nil || a.Digest() != d {
		f.Close()
		s.c.EvictBlob(d)
		return nil, fmt.Errorf("artifact %s: %w", d.Short(), errors.Join(cache.ErrCorrupt, err))
	}
	return a, nil
}

// LoadArtifact reads an artifact from the cache, checking its digest.
func LoadArtifact(c *cache.Cache, d ndarray.Digest) (stages.Artifact, error) {
	return store{c}.load(d)
}

// intact reports whether every output of an action record is present and,
// for blobs under verifyBelow, still hashes to its digest: re-hashed only
// when its stat no longer matches its recorded stamp (cache.VerifyStamped),
// so a no-op rerun reads no blob. It returns e with the stamps as they are
// now and the meta of outputs recorded without one, and whether either
// changed (the record is then worth rewriting). With released, outputs
// that are absent count as intact: a temp stage's, removed once consumed
// (tempOutputs), are recomputed by whoever reads them again (regenerate).
func (s store) intact(e cache.Entry, released bool) (cache.Entry, bool, bool) {
	moved := false
	for i, o := range e.Outputs {
		if released && !s.c.HasBlob(o.Digest) {
			continue
		}
		if o.Meta == "" {
			e.Outputs[i].Meta, _ = s.blobMeta(o)
			moved = moved || e.Outputs[i].Meta != ""
		}
		if o.Size >= verifyBelow {
			if !s.c.HasBlob(o.Digest) {
				return e, false, false
			}
			continue
		}
		st, err := s.c.VerifyStamped(o.Digest, o.Stamp, Rehash)
		if err != nil {
			return e, false, false
		}
		if st != o.Stamp {
			e.Outputs[i].Stamp, moved = st, true
		}
	}
	return e, moved, true
}

// Rehash is the decoder the cache uses to verify a blob: it returns the
// digest of the blob's canonical content, hashing arrays as they stream
// past, so verifying a blob larger than memory needs constant memory.
func Rehash(r io.Reader) (ndarray.Digest, error) { return stages.DigestArtifact(r) }

// describe builds the provenance row of output o and returns the value of
// a 0-d array output, which reports cite (results.CitationID), from the
// meta its action record keeps. Without one (the record is older than
// meta) it reads the blob.
func (s *scheduler) describe(o cache.Output) (results.Edge, float64, bool) {
	e := results.Edge{Name: o.Name, Digest: o.Digest, Bytes: o.Size}
	if o.Meta == "" {
		o.Meta, _ = store{s.r.Cache}.blobMeta(o)
	}
	e, v, scalar, _ := parseMeta(o.Meta, e)
	return e, v, scalar
}
