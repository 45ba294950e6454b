package cache

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// writeAtomic makes dst hold exactly the bytes write produces, or leaves it
// as it was. The bytes go to a temporary file in tmp/ (same file system, so
// the rename is atomic), which is fsynced before the rename so that a crash
// cannot expose a named but empty file; the directory is fsynced after it
// so that the new name itself survives a crash. If write fails or panics,
// the temporary file is removed.
func (c *Cache) writeAtomic(dst string, write func(io.Writer) error) error {
	dir := filepath.Dir(dst)
	// The fan-out directory may not exist yet (see Open).
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(c.dir, tmpDir), "w-*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// mtimeInterval bounds how stale a file's mtime may be as its time of last
// use. GC evicts least recently used blobs by mtime; refreshing it at most
// once an hour, as Go's build cache does, keeps reads free of inode writes
// while the order stays right to within an hour.
const mtimeInterval = time.Hour

// touch marks path as used now if its mtime is more than mtimeInterval old.
// It is best effort: a read-only cache is still readable.
func touch(path string, mtime time.Time) {
	if now := time.Now(); now.Sub(mtime) > mtimeInterval {
		os.Chtimes(path, now, now)
	}
}
