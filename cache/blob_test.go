package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
)

func digestOf(s string) ndarray.Digest { return ndarray.Digest(sha256.Sum256([]byte(s))) }

// rawHash is a decoder for test blobs: the digest of the bytes, which must
// not be empty.
func rawHash(r io.Reader) (ndarray.Digest, error) {
	b, err := io.ReadAll(r)
	if err == nil && len(b) == 0 {
		err = errors.New("empty blob")
	}
	return digestOf(string(b)), err
}

func openCache(t testing.TB) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func put(t testing.TB, c *Cache, s string) ndarray.Digest {
	t.Helper()
	d := digestOf(s)
	if err := c.PutBlob(d, writeString(s)); err != nil {
		t.Fatal(err)
	}
	return d
}

// age sets the mtime of path to the given time ago.
func age(t testing.TB, path string, ago time.Duration) {
	t.Helper()
	when := time.Now().Add(-ago)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

// writeRaw writes a file into the cache behind its back.
func writeRaw(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOpenLayout(t *testing.T) {
	c := openCache(t)
	for _, p := range []string{"tmp", "blobs", "actions", "locks"} {
		if info, err := os.Stat(filepath.Join(c.Dir(), p)); err != nil || !info.IsDir() {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := Open(c.Dir()); err != nil {
		t.Errorf("reopening: %v", err)
	}
	d := put(t, c, "x")
	if got, want := c.BlobPath(d), filepath.Join(c.Dir(), "blobs", d.String()[:2], d.String()); got != want {
		t.Errorf("blob at %s, want %s", got, want)
	}
	// A fan-out directory removed by hand comes back on the next write.
	if err := os.RemoveAll(filepath.Dir(c.BlobPath(d))); err != nil {
		t.Fatal(err)
	}
	put(t, c, "x")
	if !c.HasBlob(d) {
		t.Error("blob not stored after its fan-out directory was removed")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil {
		t.Error("Open of a regular file succeeded")
	}
}

func TestFailedPutLeavesNothing(t *testing.T) {
	failure := errors.New("disk full")
	cases := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"error before writing", func(io.Writer) error { return failure }},
		{"error midway", func(w io.Writer) error { io.WriteString(w, "partial"); return failure }},
		{"panic midway", func(w io.Writer) error { io.WriteString(w, "partial"); panic(failure) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openCache(t)
			d := digestOf("complete")
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				return c.PutBlob(d, tc.write)
			}()
			if !errors.Is(err, failure) && !strings.Contains(fmt.Sprint(err), failure.Error()) {
				t.Errorf("err = %v, want the writer's failure", err)
			}
			if c.HasBlob(d) {
				t.Error("blob visible after a failed write")
			}
			for _, dir := range []string{"blobs", "tmp"} {
				if n := countFiles(t, filepath.Join(c.Dir(), dir)); n != 0 {
					t.Errorf("%d files left under %s", n, dir)
				}
			}
		})
	}
}

func TestPutBlobIdempotent(t *testing.T) {
	c := openCache(t)
	d := put(t, c, "hello")
	calls := 0
	err := c.PutBlob(d, func(w io.Writer) error { calls++; return writeString("other")(w) })
	if err != nil || calls != 0 {
		t.Fatalf("second put: err %v, writer called %d times", err, calls)
	}
	var wg sync.WaitGroup
	e := digestOf("concurrent")
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.PutBlob(e, writeString("concurrent")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for s, d := range map[string]ndarray.Digest{"hello": d, "concurrent": e} {
		if b, err := os.ReadFile(c.BlobPath(d)); err != nil || string(b) != s {
			t.Errorf("blob %s holds %q, %v", s, b, err)
		}
	}
	if n := countFiles(t, filepath.Join(c.Dir(), "tmp")); n != 0 {
		t.Errorf("%d temp files left", n)
	}
}

func TestBlobMissKeepsReason(t *testing.T) {
	c := openCache(t)
	d := digestOf("hello")
	_, err := c.OpenBlob(d)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrCorrupt) {
		t.Errorf("absent blob: %v, want ErrNotFound for a file that does not exist", err)
	}
	put(t, c, "hello")
	if err := os.WriteFile(c.BlobPath(d), []byte("hellO"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(d, rawHash); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify of a corrupt blob: %v", err)
	}
	_, err = c.OpenBlob(d)
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "evicted as corrupt") {
		t.Errorf("evicted blob: %v, want ErrNotFound with the corruption as reason", err)
	}
	put(t, c, "hello")
	f, err := c.OpenBlob(d)
	if err != nil {
		t.Fatalf("re-stored blob: %v", err)
	}
	f.Close()
	if err := c.EvictBlob(d); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenBlob(d); errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrNotFound) {
		t.Errorf("blob evicted after a good put: %v, want a plain miss", err)
	}
	if err := c.EvictBlob(d); err != nil {
		t.Errorf("evicting an absent blob: %v", err)
	}
}

// A lookup that serves a record marks the record used once its mtime is
// over mtimeInterval old; other reads of the record do not, and no use of
// a blob writes the blob's inode (its stamp would move, and every record
// naming it would be rewritten by the next rerun).
func TestUseMarksRecordNotBlob(t *testing.T) {
	uses := map[string]func(c *Cache, k ActionKey, d ndarray.Digest) error{
		"Pack.Lookup": func(c *Cache, k ActionKey, _ ndarray.Digest) error { _, err := c.OpenPack("t").Lookup(k); return err },
		"GetAction":   func(c *Cache, k ActionKey, _ ndarray.Digest) error { _, err := c.GetAction(k); return err },
		"HasBlob": func(c *Cache, _ ActionKey, d ndarray.Digest) error {
			if !c.HasBlob(d) {
				return errors.New("missing")
			}
			return nil
		},
		"OpenBlob": func(c *Cache, _ ActionKey, d ndarray.Digest) error {
			f, err := c.OpenBlob(d)
			if err == nil {
				f.Close()
			}
			return err
		},
		"PutBlob": func(c *Cache, _ ActionKey, d ndarray.Digest) error { return c.PutBlob(d, writeString("blob")) },
		"VerifyStamped": func(c *Cache, _ ActionKey, d ndarray.Digest) error {
			_, err := c.VerifyStamped(d, current(c, d), rawHash)
			return err
		},
	}
	for name, use := range uses {
		for _, ago := range []time.Duration{10 * time.Minute, 2 * time.Hour} {
			t.Run(fmt.Sprintf("%s/%v", name, ago), func(t *testing.T) {
				c := openCache(t)
				d := put(t, c, "blob")
				k := ActionKey{1}
				if err := c.PutAction(k, Entry{Outputs: []Output{{Name: "x", Digest: d, Size: 4}}}); err != nil {
					t.Fatal(err)
				}
				record := c.path(actionsDir, k.String(), "")
				age(t, record, ago)
				age(t, c.BlobPath(d), ago)
				stamp := current(c, d)
				before := time.Now()
				if err := use(c, k, d); err != nil {
					t.Fatal(err)
				}
				info, err := os.Stat(record)
				if err != nil {
					t.Fatal(err)
				}
				refreshed := !info.ModTime().Before(before.Add(-time.Second))
				if want := name == "Pack.Lookup" && ago > mtimeInterval; refreshed != want {
					t.Errorf("record's mtime %v ago refreshed = %v, want %v", ago, refreshed, want)
				}
				if now := current(c, d); now != stamp {
					t.Errorf("blob's stamp moved from %v to %v", stamp, now)
				}
			})
		}
	}
}

func TestBlobsAndSize(t *testing.T) {
	c := openCache(t)
	want := map[ndarray.Digest]int64{}
	for _, s := range []string{"a", "bb", "cccc"} {
		want[put(t, c, s)] = int64(len(s))
	}
	writeRaw(t, filepath.Join(c.Dir(), "blobs", "ab", "not-a-digest"), "zz")
	var prev ndarray.Digest
	err := c.Blobs(func(d ndarray.Digest, size int64) error {
		if size != want[d] || d.String() < prev.String() {
			t.Errorf("blob %s size %d (want %d), after %s", d.Short(), size, want[d], prev.Short())
		}
		delete(want, d)
		prev = d
		return nil
	})
	if err != nil || len(want) != 0 {
		t.Errorf("Blobs: %v, %d blobs not visited", err, len(want))
	}
	if n, err := c.Size(); n != 7 || err != nil {
		t.Errorf("Size = %d, %v; want 7", n, err)
	}
}

// Sync is the barrier before a digest is published: it succeeds on a
// cache and names the cache when it cannot sync it.
// Sync flushes what was written since the last Sync, and only then: a
// Sync with nothing new to flush does not touch the file system (here,
// one that is gone).
func TestSync(t *testing.T) {
	c := openCache(t)
	if err := c.PutBlob(digestOf("a"), writeString("a")); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := c.PutBlob(digestOf("b"), writeString("b")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err == nil || !strings.Contains(err.Error(), c.dir) {
		t.Errorf("Sync of a removed cache after a write: %v; want an error naming %s", err, c.dir)
	}
	c.synced.Store(c.written.Load())
	if err := c.Sync(); err != nil {
		t.Errorf("Sync with nothing written since the last: %v, want nil without syncing", err)
	}
}
