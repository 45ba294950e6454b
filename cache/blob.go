package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// PutBlob stores the bytes that write produces under digest d. The caller
// guarantees that the bytes encode content with digest d. If the blob is
// already present nothing is written.
func (c *Cache) PutBlob(d Digest, write func(io.Writer) error) error {
	if c.HasBlob(d) {
		return nil
	}
	if err := c.writeAtomic(c.BlobPath(d), write); err != nil {
		return fmt.Errorf("cache: writing blob %s: %w", d.Short(), err)
	}
	return nil
}

// BlobPath is where blob d lives (whether or not it exists).
func (c *Cache) BlobPath(d Digest) string { return c.path("blobs", d.String(), "") }

// HasBlob reports whether blob d is present.
func (c *Cache) HasBlob(d Digest) bool {
	_, err := os.Stat(c.BlobPath(d))
	return err == nil
}

// OpenBlob opens blob d for reading. A missing blob is an error wrapping
// ErrNotFound.
func (c *Cache) OpenBlob(d Digest) (*os.File, error) {
	p := c.BlobPath(d)
	f, err := os.Open(p)
	if err != nil {
		return nil, &missError{"blob " + d.Short(), err}
	}
	touch(p)
	return f, nil
}

// EvictBlob removes blob d; removing an absent blob is not an error.
func (c *Cache) EvictBlob(d Digest) error {
	err := os.Remove(c.BlobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Verify re-hashes blob d with the caller's decoder (the cache does not
// know the artifact formats). A blob whose content no longer matches its
// name is evicted, and the error wraps ErrCorrupt.
func (c *Cache) Verify(d Digest, rehash func(io.Reader) (Digest, error)) error {
	f, err := c.OpenBlob(d)
	if err != nil {
		return err
	}
	got, err := rehash(f)
	f.Close()
	if err == nil && got == d {
		return nil
	}
	c.EvictBlob(d)
	if err == nil {
		err = fmt.Errorf("content hashes to %s", got.Short())
	}
	return fmt.Errorf("blob %s: %w: %v (evicted)", d.Short(), ErrCorrupt, err)
}

// Blobs calls fn for every blob in the cache, in directory order.
func (c *Cache) Blobs(fn func(d Digest, size int64) error) error {
	return walk(filepath.Join(c.dir, "blobs"), "", func(name string, info fs.FileInfo) error {
		d, err := ParseDigest(name)
		if err != nil {
			return nil // not ours
		}
		return fn(d, info.Size())
	})
}

// walk calls fn for every regular file under root whose name has suffix,
// with the suffix removed.
func walk(root, suffix string, fn func(name string, info fs.FileInfo) error) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		name := filepath.Base(p)
		if len(name) < len(suffix) || name[len(name)-len(suffix):] != suffix {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(name[:len(name)-len(suffix)], info)
	})
}
