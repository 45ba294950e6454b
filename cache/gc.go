package cache

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
)

// GCStats reports what a collection did.
type GCStats struct {
	BlobsBefore, BlobsAfter int
	BytesBefore, BytesAfter int64
	ActionsRemoved          int // records that were malformed or pointed at a missing blob
	ActionsUnreadable       int // records this user may not read (kept: unreadable is not stale)
	TmpRemoved              int // temporary files left by killed writers
	LocksRemoved            int // lock files nobody held
	PacksRemoved            int // packs of action records (Pack), rebuilt by the next run
}

// String summarises the collection for the `eigenlab gc` command.
func (s GCStats) String() string {
	out := fmt.Sprintf("gc: %d of %d artifacts evicted, %s -> %s; removed %d stale action records, %d orphaned temp files, %d idle lock files, %d record packs",
		s.BlobsBefore-s.BlobsAfter, s.BlobsBefore, HumanBytes(s.BytesBefore), HumanBytes(s.BytesAfter),
		s.ActionsRemoved, s.TmpRemoved, s.LocksRemoved, s.PacksRemoved)
	if s.ActionsUnreadable > 0 {
		out += fmt.Sprintf("; kept %d action records this user may not read (permission denied)", s.ActionsUnreadable)
	}
	return out
}

// HumanBytes formats a byte count with a binary unit: "512 B", "1.5 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// tmpGrace is how long a temporary file must have gone unwritten before GC
// takes it for the leftover of a killed process rather than the work of a
// writer still running (every write moves its mtime).
const tmpGrace = time.Hour

// GC trims the cache in five steps: it removes temporary files older than
// tmpGrace; evicts unpinned blobs, least recently used first, until the
// blobs total at most maxSize bytes (a negative maxSize evicts every
// unpinned blob); removes action records that are malformed or point at a
// missing blob; removes lock files nobody holds; and removes the packs of
// action records, copies the next run of each sweep writes again. A nil
// pinned pins nothing.
//
// GC may run while other processes use the cache. A blob evicted under a
// running stage makes it recompute, never misread: a record whose blob is
// gone is a miss, and readers that lose a blob get ErrNotFound.
func (c *Cache) GC(maxSize int64, pinned func(ndarray.Digest) bool) (GCStats, error) {
	var st GCStats
	var err error
	if pinned == nil {
		pinned = func(ndarray.Digest) bool { return false }
	}
	if st.TmpRemoved, err = c.removeStaleTemps(time.Now().Add(-tmpGrace)); err != nil {
		return st, err
	}
	if err := c.evictLRU(&st, maxSize, pinned); err != nil {
		return st, err
	}
	if st.ActionsRemoved, st.ActionsUnreadable, err = c.removeStaleActions(); err != nil {
		return st, err
	}
	if st.LocksRemoved, err = c.removeIdleLocks(); err != nil {
		return st, err
	}
	st.PacksRemoved, err = c.removePacks()
	return st, err
}

// removePacks removes every pack file; a run that has one open keeps its
// mapping, and writes a new one when it ends.
func (c *Cache) removePacks() (int, error) {
	entries, err := os.ReadDir(filepath.Join(c.dir, packsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cache: listing packs: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if os.Remove(filepath.Join(c.dir, packsDir, e.Name())) == nil {
			removed++
		}
	}
	return removed, nil
}

func (c *Cache) removeStaleTemps(cutoff time.Time) (int, error) {
	dir := filepath.Join(c.dir, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("cache: listing %s: %w", dir, err)
	}
	removed := 0
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.ModTime().Before(cutoff) && os.Remove(filepath.Join(dir, e.Name())) == nil {
			removed++
		}
	}
	return removed, nil
}

// evictLRU evicts unpinned blobs in order of last use (then digest, for a
// deterministic order among equals) until at most maxSize bytes remain,
// and fills in the blob counts of st. A blob's last use is the later of
// its own mtime (when it was written) and the mtime of the newest action
// record naming it (when a lookup last served it; see mtimeInterval).
func (c *Cache) evictLRU(st *GCStats, maxSize int64, pinned func(ndarray.Digest) bool) error {
	type blob struct {
		d    ndarray.Digest
		size int64
		used time.Time
	}
	served, err := c.servedTimes()
	if err != nil {
		return err
	}
	var blobs []blob
	err = c.walk(blobsDir, "", func(name string, info fs.FileInfo) error {
		if d, err := ndarray.ParseDigest(name); err == nil {
			used := info.ModTime()
			if t, ok := served[d]; ok && t.After(used) {
				used = t
			}
			blobs = append(blobs, blob{d, info.Size(), used})
			st.BytesBefore += info.Size()
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(blobs, func(a, b blob) int {
		return cmp.Or(a.used.Compare(b.used), slices.Compare(a.d[:], b.d[:]))
	})
	st.BlobsBefore, st.BlobsAfter, st.BytesAfter = len(blobs), len(blobs), st.BytesBefore
	for _, b := range blobs {
		if maxSize >= 0 && st.BytesAfter <= maxSize {
			break
		}
		if pinned(b.d) {
			continue
		}
		if err := c.EvictBlob(b.d); err != nil {
			return err
		}
		st.BlobsAfter--
		st.BytesAfter -= b.size
	}
	return nil
}

// servedTimes maps every blob an action record names to the mtime of the
// newest such record. A record that cannot be read names nothing.
func (c *Cache) servedTimes() (map[ndarray.Digest]time.Time, error) {
	served := map[ndarray.Digest]time.Time{}
	err := c.walk(actionsDir, "", func(name string, info fs.FileInfo) error {
		k, err := ParseActionKey(name)
		if err != nil {
			return nil // not a record
		}
		e, err := c.GetAction(k)
		if err != nil {
			return nil
		}
		for _, o := range e.Outputs {
			if t := info.ModTime(); t.After(served[o.Digest]) {
				served[o.Digest] = t
			}
		}
		return nil
	})
	return served, err
}

// removeStaleActions removes the action records that cannot serve a hit:
// malformed ones and those naming a blob that is gone. A record or blob
// this user may not read (another user's cache files) is not stale and is
// never removed: it is counted as unreadable.
func (c *Cache) removeStaleActions() (removed, unreadable int, err error) {
	named := map[ndarray.Digest]bool{} // released blobs the kept records name
	err = c.eachAction(func(k ActionKey, e Entry, err error) error {
		if errors.Is(err, fs.ErrPermission) {
			unreadable++
			return nil
		}
		stale := err != nil
		var released []ndarray.Digest
		for _, o := range e.Outputs {
			switch {
			case c.blobPresent(o.Digest):
			case c.released(o.Digest):
				released = append(released, o.Digest)
			default:
				stale = true
			}
		}
		if !stale {
			for _, d := range released {
				named[d] = true
			}
			return nil
		}
		removed++
		return c.DeleteAction(k)
	})
	if err != nil {
		return removed, unreadable, err
	}
	return removed, unreadable, c.removeReleaseMarks(named)
}

// removeReleaseMarks removes the marks of released blobs that no kept
// action record names or that are present again (recomputed).
func (c *Cache) removeReleaseMarks(named map[ndarray.Digest]bool) error {
	return c.walk(releasedDir, "", func(name string, _ fs.FileInfo) error {
		d, err := ndarray.ParseDigest(name)
		if err != nil || named[d] && !c.blobPresent(d) {
			return nil // not a mark, or still needed
		}
		os.Remove(c.path(releasedDir, name, "")) // a mark left behind is harmless
		return nil
	})
}
