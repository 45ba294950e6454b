package cache

import (
	"fmt"
	"io"
	"os"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Verify re-hashes blob d with the caller's decoder: the cache does not
// know artifact formats, and a digest names canonical content, not file
// bytes. A blob that cannot be decoded, or whose content hashes to another
// digest, is evicted (the next run recomputes it) and the error wraps
// ErrCorrupt. A missing blob is an error wrapping ErrNotFound.
func (c *Cache) Verify(d ndarray.Digest, rehash func(io.Reader) (ndarray.Digest, error)) error {
	_, err := c.verify(d, rehash)
	return err
}

// verify is Verify returning the stamp of the blob as it was opened, taken
// before it was read: a change made while it was read then moves the
// ctime past the stamp, and the next lookup re-hashes.
func (c *Cache) verify(d ndarray.Digest, rehash func(io.Reader) (ndarray.Digest, error)) (Stamp, error) {
	f, err := c.OpenBlob(d)
	if err != nil {
		return Stamp{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Stamp{}, fmt.Errorf("cache: blob %s: %w", d.Short(), err)
	}
	got, err := rehash(f)
	if err == nil && got == d {
		return stampOf(info), nil
	}
	why := fmt.Errorf("%w: content hashes to %s", ErrCorrupt, got.Short())
	if err != nil {
		why = fmt.Errorf("%w: cannot be decoded: %v", ErrCorrupt, err)
	}
	if err := c.evictCorrupt(d, f, why); err != nil {
		return Stamp{}, fmt.Errorf("cache: blob %s: %w; %v", d.Short(), why, err)
	}
	return Stamp{}, fmt.Errorf("cache: blob %s: %w (evicted)", d.Short(), why)
}

// evictCorrupt removes blob d, which f has open and found corrupt, and
// remembers why. If another process renamed a fresh copy into place while
// f was being read, the fresh copy is left alone.
func (c *Cache) evictCorrupt(d ndarray.Digest, f *os.File, why error) error {
	opened, err1 := f.Stat()
	current, err2 := os.Stat(c.BlobPath(d))
	if err1 == nil && err2 == nil && !os.SameFile(opened, current) {
		return nil
	}
	c.mu.Lock()
	c.evicted[d] = fmt.Errorf("evicted as %w", why)
	c.mu.Unlock()
	return c.EvictBlob(d)
}
