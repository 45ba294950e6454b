package cache

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// GCStats reports what a collection did.
type GCStats struct {
	Blobs, BlobsEvicted     int
	Bytes, BytesEvicted     int64
	ActionsRemoved, TmpFree int
}

func (s GCStats) String() string {
	return fmt.Sprintf("gc: %d of %d artifacts evicted (%s of %s), %d stale action records and %d orphaned temp files removed",
		s.BlobsEvicted, s.Blobs, human(s.BytesEvicted), human(s.Bytes), s.ActionsRemoved, s.TmpFree)
}

func human(n int64) string {
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

// tmpGrace is how old a temp file must be before GC treats it as left by a
// killed process rather than by a writer still at work.
const tmpGrace = time.Hour

// GC removes orphaned temp files, then evicts unpinned blobs least recently
// used first until the blobs total at most maxSize bytes (a negative
// maxSize evicts every unpinned blob), then removes action records that
// point at an evicted blob. Run it while no eigenlab run uses the cache:
// a blob evicted under a running stage is recomputed, never misread.
func (c *Cache) GC(maxSize int64, pinned func(Digest) bool) (GCStats, error) {
	var st GCStats
	tmps, _ := os.ReadDir(filepath.Join(c.dir, "tmp"))
	for _, t := range tmps {
		if info, err := t.Info(); err == nil && time.Since(info.ModTime()) > tmpGrace {
			if os.Remove(filepath.Join(c.dir, "tmp", t.Name())) == nil {
				st.TmpFree++
			}
		}
	}
	type blob struct {
		d    Digest
		size int64
		used time.Time
	}
	var blobs []blob
	err := walk(filepath.Join(c.dir, "blobs"), "", func(name string, info fs.FileInfo) error {
		if d, err := ParseDigest(name); err == nil {
			blobs = append(blobs, blob{d, info.Size(), info.ModTime()})
			st.Bytes += info.Size()
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Blobs = len(blobs)
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].used.Before(blobs[j].used) })
	total := st.Bytes
	for _, b := range blobs {
		if (maxSize >= 0 && total <= maxSize) || pinned(b.d) {
			continue
		}
		if err := c.EvictBlob(b.d); err != nil {
			return st, err
		}
		total -= b.size
		st.BlobsEvicted++
		st.BytesEvicted += b.size
	}
	err = c.Actions(func(k ActionKey, e Entry) error {
		for _, o := range e.Outputs {
			if !c.HasBlob(o.Digest) {
				st.ActionsRemoved++
				return c.DeleteAction(k)
			}
		}
		return nil
	})
	return st, err
}
