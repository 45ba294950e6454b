package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/ndarray"
)

// PutBlob stores under digest d the bytes that write produces; the cache
// treats them as opaque, and the caller vouches that they encode content
// with digest d. write should buffer its small writes: it writes straight
// to a file.
//
// If the blob is present, write is not called: equal digests mean equal
// content, so the first copy is as good as any. Several processes putting
// the same digest at once each write their own temporary file, and the
// last rename wins with the same bytes.
func (c *Cache) PutBlob(d ndarray.Digest, write func(io.Writer) error) error {
	if c.HasBlob(d) {
		return nil
	}
	if err := c.writeAtomic(c.BlobPath(d), atomicfile.DataDurable, write); err != nil {
		return fmt.Errorf("cache: writing blob %s: %w", d.Short(), err)
	}
	c.mu.Lock()
	delete(c.evicted, d)
	c.mu.Unlock()
	return nil
}

// BlobPath is where blob d lives, whether or not it exists.
func (c *Cache) BlobPath(d ndarray.Digest) string { return c.path(blobsDir, d.String(), "") }

// HasBlob reports whether blob d is present. It is not a use for GC: the
// action record that names the blob carries that (Pack.Lookup).
func (c *Cache) HasBlob(d ndarray.Digest) bool {
	_, ok := c.statBlob(d)
	return ok
}

// statBlob is the stat behind HasBlob.
func (c *Cache) statBlob(d ndarray.Digest) (fs.FileInfo, bool) {
	info, err := os.Stat(c.BlobPath(d))
	return info, err == nil && info.Mode().IsRegular()
}

// blobPresent reports whether blob d exists as a regular file; a blob
// whose stat fails for another reason than its absence (permission) is
// present as far as anyone may tell, and must not be treated as gone.
func (c *Cache) blobPresent(d ndarray.Digest) bool {
	info, err := os.Stat(c.BlobPath(d))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	return info.Mode().IsRegular()
}

// OpenBlob opens blob d for reading. A missing blob is an error wrapping
// ErrNotFound and the reason it is missing: fs.ErrNotExist, or ErrCorrupt
// if this process evicted it in Verify. A blob this user may not read is
// an error wrapping fs.ErrPermission, not a miss and never corrupt.
func (c *Cache) OpenBlob(d ndarray.Digest) (*os.File, error) {
	p := c.BlobPath(d)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("cache: blob %s is not readable by this user: %w", d.Short(), err)
	}
	if err != nil {
		return nil, c.blobMiss(d, err)
	}
	return f, nil
}

// blobMiss turns a failed open of blob d into a miss, with the eviction
// reason if this process evicted it.
func (c *Cache) blobMiss(d ndarray.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		c.mu.Lock()
		why := c.evicted[d]
		c.mu.Unlock()
		if why != nil {
			err = why
		}
	}
	return &missError{what: "blob " + d.Short(), reason: err}
}

// EvictBlob removes blob d; removing an absent blob is not an error.
func (c *Cache) EvictBlob(d ndarray.Digest) error {
	err := os.Remove(c.BlobPath(d))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: evicting blob %s: %w", d.Short(), err)
	}
	return nil
}

// ReleaseBlob removes blob d as an intermediate its readers are done with
// (a temp stage's output, see runner) and marks it released: GC keeps the
// action records that name a released blob, so the action stays known
// and a no-op rerun serves it; a reader that needs the bytes again
// recomputes them. The mark is not fsynced: if a crash loses it, GC
// treats the record as dangling, which costs a recomputation, no more.
func (c *Cache) ReleaseBlob(d ndarray.Digest) error {
	mark := c.path(releasedDir, d.String(), "")
	if err := c.writeAtomic(mark, atomicfile.Volatile, func(io.Writer) error { return nil }); err != nil {
		return fmt.Errorf("cache: marking blob %s released: %w", d.Short(), err)
	}
	return c.EvictBlob(d)
}

// released reports whether blob d carries a ReleaseBlob mark.
func (c *Cache) released(d ndarray.Digest) bool {
	_, err := os.Stat(c.path(releasedDir, d.String(), ""))
	return err == nil
}

// Blobs calls fn for every blob in the cache, in digest order, with its
// size in bytes. Files whose names are not digests are skipped.
func (c *Cache) Blobs(fn func(d ndarray.Digest, size int64) error) error {
	return c.walk(blobsDir, "", func(name string, info fs.FileInfo) error {
		d, err := ndarray.ParseDigest(name)
		if err != nil {
			return nil
		}
		return fn(d, info.Size())
	})
}

// TempDir is the cache's directory for files being written. A file made
// there is on the cache's file system, so AdoptBlob can rename it into
// place, and GC removes it if its writer dies (see GC).
func (c *Cache) TempDir() string { return filepath.Join(c.dir, tmpDir) }

// AdoptBlob makes the complete file at path blob d, by rename rather than
// by copy: the way to store an artifact too large to write through
// PutBlob's callback in one go. The caller vouches that the file's bytes
// encode content with digest d; path must be on the cache's file system
// (TempDir is). The durability is PutBlob's: the file is fsynced before
// the rename, so a crash exposes either no blob or the whole one, and the
// name is durable after the next Sync.
//
// The cache takes the file over: on success it no longer exists at path,
// renamed into place or, if blob d was already present, removed (equal
// digests mean equal content). On error it is left at path for the caller.
func (c *Cache) AdoptBlob(d ndarray.Digest, path string) error {
	if c.HasBlob(d) {
		return os.Remove(path)
	}
	if err := c.adopt(c.BlobPath(d), path); err != nil {
		return fmt.Errorf("cache: adopting %s as blob %s: %w", path, d.Short(), err)
	}
	c.mu.Lock()
	delete(c.evicted, d)
	c.mu.Unlock()
	return nil
}

// adopt fsyncs src and renames it to dst.
func (c *Cache) adopt(dst, src string) error {
	f, err := os.OpenFile(src, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	c.written.Add(1)
	return nil
}
