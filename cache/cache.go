package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Cache is a content-addressed store rooted at one directory:
//
//	blobs/xx/<digest>     artifact bytes (.npy or JSON), named by content digest
//	actions/xx/<key>      action records: key -> output digests
//	locks/actions.lock    the action locks, a byte per key (Linux; see Lock)
//	locks/xx/<key>.lock   a flock file per action key (elsewhere)
//	packs/<name>          the action records of a sweep in one file (Pack)
//	tmp/                  files being written; renamed into place when complete
//
// xx is the first two hex digits of the name, so no directory holds more
// than a 256th of the entries.
//
// Every file becomes visible only through an atomic rename of a complete
// temporary file, so a process killed at any point leaves at most an
// orphaned file in tmp/ (removed by GC), never a partial blob or record.
//
// Durability after a crash of the machine is batched, as a database's
// group commit: a blob's bytes are fsynced before its rename, so no crash
// exposes a blob with partial content, but its name is durable only after
// the next Sync; an action record is not fsynced at all, so a crash may
// leave it absent or torn, which GetAction reads as a miss, and a record
// that survives while its blob's name did not is a miss too. Whoever
// publishes a digest outside the cache (the provenance database) calls
// Sync first. This costs one barrier per batch instead of four fsyncs per
// action, most of a cold run of tiny stages.
type Cache struct {
	dir string

	// evicted remembers why this process evicted a blob, so that a later
	// miss on it says "evicted as corrupt" rather than just "absent".
	mu      sync.Mutex
	evicted map[ndarray.Digest]error

	// written counts the blobs and action records this process has put in
	// place, synced how many of them the last Sync covered: a Sync with
	// nothing new to cover returns at once.
	written, synced atomic.Uint64
}

// ErrNotFound is wrapped by every lookup miss. The wrapping error keeps the
// reason: fs.ErrNotExist for an absent entry, ErrCorrupt for a blob this
// process evicted because its content no longer matched its digest, or a
// description of what is malformed in an action record.
var ErrNotFound = errors.New("not in cache")

// ErrCorrupt is wrapped when a blob's content no longer matches its digest.
// It is ndarray.ErrCorrupt, so a file-backed array that fails its check
// and a cache blob that fails verification are the same kind of error.
var ErrCorrupt = ndarray.ErrCorrupt

// missError is a miss with its reason, after Go's entryNotFoundError: every
// miss is handled alike, but `eigenlab verify` can still say why.
type missError struct {
	what   string
	reason error
}

func (e *missError) Error() string { return fmt.Sprintf("%s not in cache: %v", e.what, e.reason) }

// Unwrap lets errors.Is see both ErrNotFound and the reason.
func (e *missError) Unwrap() []error { return []error{ErrNotFound, e.reason} }

// The top-level directories. Those of blobs, actions and locks are split
// by the first two hex digits of the name.
const (
	blobsDir   = "blobs"
	actionsDir = "actions"
	locksDir   = "locks"
	tmpDir     = "tmp"
	packsDir   = "packs"
	// releasedDir marks blobs removed on purpose (ReleaseBlob), one
	// empty file per digest, split as blobs are.
	releasedDir = "released"
)

// Open opens the cache rooted at dir, creating its top-level directories
// if needed. Unlike Go's cache, which makes its 256 subdirectories in
// Open, the fan-out directories are made on the first write into each:
// 768 mkdirs took 0.57 s on the machine this was written on, a cost every
// fresh cache (and every test) would pay, while a write already pays for
// two fsyncs next to which the stat of MkdirAll is free.
//
// Several processes on one machine may use the same cache directory at
// once, on a local file system: they coordinate through atomic renames
// and flock(2) locks, may duplicate work, but never see a partial file.
// A cache on a network file system (NFS) shared by several machines is
// not safe: flock there is emulated or absent, and rename and fsync
// semantics are weaker, so two machines may compute or evict under each
// other's feet.
func Open(dir string) (*Cache, error) {
	for _, top := range []string{blobsDir, actionsDir, locksDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, top), 0o755); err != nil {
			return nil, fmt.Errorf("cache: opening %s: %w", dir, err)
		}
	}
	return &Cache{dir: filepath.Clean(dir), evicted: map[ndarray.Digest]error{}}, nil
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// path names the file of a digest or key (given in hex) under a fan-out
// directory. It is filepath.Join's result, without its cleaning: c.dir is
// clean and the other parts are fixed names and hex.
func (c *Cache) path(top, hex, suffix string) string {
	sep := string(filepath.Separator)
	return c.dir + sep + top + sep + hex[:2] + sep + hex + suffix
}

// Size returns the total size in bytes of the blobs in the cache, the
// figure GC's maxSize bounds.
func (c *Cache) Size() (int64, error) {
	var total int64
	err := c.Blobs(func(_ ndarray.Digest, size int64) error {
		total += size
		return nil
	})
	return total, err
}

// walk calls fn, in lexical order, for every regular file under the
// fan-out directory top whose name ends in suffix, with the suffix
// removed. Files removed during the walk are skipped.
func (c *Cache) walk(top, suffix string, fn func(name string, info fs.FileInfo) error) error {
	root := filepath.Join(c.dir, top)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !e.Type().IsRegular() || !ok {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(name, info)
	})
	if err != nil {
		return fmt.Errorf("cache: walking %s: %w", top, err)
	}
	return nil
}
