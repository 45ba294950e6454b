package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Cache is a content-addressed store rooted at one directory:
//
//	blobs/xx/<digest>     artifact bytes (.npy or JSON), named by content digest
//	actions/xx/<key>      action records: key -> output digests
//	locks/xx/<key>.lock   flock files, one per action key being computed
//	tmp/                  files being written; renamed into place when complete
//
// Every file becomes visible only through an atomic rename of a complete,
// fsynced temporary file, so a process killed at any point leaves at most
// an orphaned file in tmp/ (removed by GC), never a partial blob or record.
type Cache struct{ dir string }

// ErrNotFound is wrapped by every lookup miss. The wrapping error keeps the
// reason (absent, malformed, evicted as corrupt) for `eigenlab verify`.
var ErrNotFound = errors.New("not in cache")

// ErrCorrupt is wrapped when a blob's content no longer matches its digest.
var ErrCorrupt = errors.New("corrupt cache entry")

// missError is a miss with its reason.
type missError struct {
	what   string
	reason error
}

func (e *missError) Error() string { return fmt.Sprintf("%s: %v", e.what, e.reason) }
func (e *missError) Unwrap() []error {
	return []error{ErrNotFound, e.reason}
}

// Open opens (creating if needed) the cache rooted at dir.
func Open(dir string) (*Cache, error) {
	for _, sub := range []string{"blobs", "actions", "locks", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(kind, hex, suffix string) string {
	return filepath.Join(c.dir, kind, hex[:2], hex+suffix)
}

// writeAtomic writes a file through a temporary file that is fsynced and
// renamed into place, then fsyncs the directory so the rename survives a
// crash. The file appears complete or not at all.
func (c *Cache) writeAtomic(dst string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "w-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
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
	ok = true
	return syncDir(filepath.Dir(dst))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// touch marks a file as used for GC's least-recently-used order, at most
// once an hour so that reads stay cheap.
func touch(path string) {
	info, err := os.Stat(path)
	if err == nil && time.Since(info.ModTime()) > time.Hour {
		now := time.Now()
		os.Chtimes(path, now, now)
	}
}
