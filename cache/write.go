package cache

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
)

// fileMode is the mode of blobs and action records, as os.CreateTemp has
// always made them: the cache is private to its user (a Slurm job runs as
// the same user), and adopted files (ndarray.ArrayWriter) are made 0600 too.
const fileMode = 0o600

// writeAtomic makes dst hold exactly the bytes write produces, or leaves it
// as it was, with the fsyncs of d (see Cache). The temporary file is made
// in tmp/ rather than beside dst, so that those a crash leaves behind are
// where GC removes them (removeStaleTemps).
func (c *Cache) writeAtomic(dst string, d atomicfile.Durability, write func(io.Writer) error) error {
	// The fan-out directory may not exist yet (see Open).
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteBatched(c.TempDir(), dst, fileMode, d, write); err != nil {
		return err
	}
	c.written.Add(1)
	return nil
}

// Sync makes the names of every blob and action record this process has
// written so far durable, and every action record's content: a barrier
// for a whole batch of writes (see Cache). When nothing was written since
// the last Sync it does nothing, so a no-op rerun never waits for the
// file system's other dirty data (syncfs flushes all of it).
func (c *Cache) Sync() error {
	n := c.written.Load()
	if n == c.synced.Load() {
		return nil
	}
	if err := syncFS(c.dir); err != nil {
		return fmt.Errorf("cache: syncing %s: %w", c.dir, err)
	}
	for old := c.synced.Load(); old < n && !c.synced.CompareAndSwap(old, n); old = c.synced.Load() {
	}
	return nil
}

// mtimeInterval bounds how stale a file's mtime may be as its time of last
// use. GC evicts least recently used blobs by the mtime of the blob or of
// the newest action record naming it (evictLRU); a lookup refreshes the
// record's, at most once an hour as Go's build cache does, which keeps
// reads free of inode writes while the order stays right to within an
// hour. Blobs are never touched: that would move their stamps, and the
// first rerun after an hour would rewrite every record it served.
const mtimeInterval = time.Hour

// touch marks path as used now if its mtime is more than mtimeInterval old,
// and reports whether it did. It is best effort: a read-only cache is
// still readable.
func touch(path string, mtime time.Time) bool {
	if now := time.Now(); now.Sub(mtime) > mtimeInterval {
		return os.Chtimes(path, now, now) == nil
	}
	return false
}
