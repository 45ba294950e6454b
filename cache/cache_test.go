package cache

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func digestOf(s string) Digest { return Digest(sha256.Sum256([]byte(s))) }

func rawHash(r io.Reader) (Digest, error) {
	b, err := io.ReadAll(r)
	return digestOf(string(b)), err
}

func put(t *testing.T, c *Cache, s string) Digest {
	t.Helper()
	d := digestOf(s)
	if err := c.PutBlob(d, func(w io.Writer) error { _, err := io.WriteString(w, s); return err }); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	c, _ := Open(t.TempDir())
	d := digestOf("x")
	err := c.PutBlob(d, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return errors.New("disk full")
	})
	if err == nil || c.HasBlob(d) {
		t.Fatalf("err %v, blob present %v", err, c.HasBlob(d))
	}
	if tmp, _ := os.ReadDir(filepath.Join(c.Dir(), "tmp")); len(tmp) != 0 {
		t.Errorf("%d temp files left", len(tmp))
	}
}

func TestVerifyEvictsCorruptBlob(t *testing.T) {
	c, _ := Open(t.TempDir())
	d := put(t, c, "hello")
	if err := c.Verify(d, rawHash); err != nil {
		t.Fatalf("intact blob: %v", err)
	}
	os.WriteFile(c.BlobPath(d), []byte("hellO"), 0o644)
	if err := c.Verify(d, rawHash); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if c.HasBlob(d) {
		t.Error("corrupt blob not evicted")
	}
	if _, err := c.OpenBlob(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenBlob after eviction: %v, want ErrNotFound", err)
	}
}

func TestActionRecords(t *testing.T) {
	c, _ := Open(t.TempDir())
	var b KeyBuilder
	b.Line("kind test")
	k := b.Key()
	if _, err := c.GetAction(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
	e := Entry{Outputs: []Output{{"a", digestOf("a"), 3}, {"b", digestOf("b"), 4}}, Time: time.Unix(0, 42)}
	if err := c.PutAction(k, e); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetAction(k)
	if err != nil || len(got.Outputs) != 2 || got.Outputs[1] != e.Outputs[1] || !got.Time.Equal(e.Time) {
		t.Fatalf("got %+v, %v", got, err)
	}
	os.WriteFile(c.path("actions", k.String(), ""), []byte("garbage\n"), 0o644)
	if _, err := c.GetAction(k); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("malformed record: %v, want a miss naming the reason", err)
	}
}

func TestLockExcludesGoroutines(t *testing.T) {
	c, _ := Open(t.TempDir())
	k := ActionKey(digestOf("k"))
	var inside, worst atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := c.Lock(context.Background(), k)
			if err != nil {
				t.Error(err)
				return
			}
			if n := inside.Add(1); n > worst.Load() {
				worst.Store(n)
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if worst.Load() != 1 {
		t.Errorf("%d holders at once", worst.Load())
	}
}

func TestLockHonoursContext(t *testing.T) {
	c, _ := Open(t.TempDir())
	k := ActionKey(digestOf("k"))
	unlock, _ := c.Lock(context.Background(), k)
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, k); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

// The child process holds the lock for a while; the parent must wait.
func TestLockExcludesProcesses(t *testing.T) {
	if dir := os.Getenv("CACHE_LOCK_CHILD"); dir != "" {
		c, _ := Open(dir)
		unlock, _ := c.Lock(context.Background(), ActionKey(digestOf("k")))
		fmt.Println("locked")
		time.Sleep(300 * time.Millisecond)
		unlock()
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockExcludesProcesses$")
	cmd.Env = append(os.Environ(), "CACHE_LOCK_CHILD="+dir)
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	buf := make([]byte, 6)
	io.ReadFull(out, buf)
	start := time.Now()
	c, _ := Open(dir)
	unlock, err := c.Lock(context.Background(), ActionKey(digestOf("k")))
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	cmd.Wait()
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Errorf("got the lock after %v while another process held it", waited)
	}
}

func TestGCEvictsLeastRecentlyUsedUnpinned(t *testing.T) {
	c, _ := Open(t.TempDir())
	old := put(t, c, "old-blob")
	pinned := put(t, c, "pinned-blob")
	recent := put(t, c, "recent-blob")
	long := time.Now().Add(-48 * time.Hour)
	os.Chtimes(c.BlobPath(old), long, long)
	os.Chtimes(c.BlobPath(pinned), long, long)
	var b KeyBuilder
	b.Line("x")
	c.PutAction(b.Key(), Entry{Outputs: []Output{{"o", old, 8}}})
	orphan := filepath.Join(c.Dir(), "tmp", "w-orphan")
	os.WriteFile(orphan, []byte("x"), 0o644)
	os.Chtimes(orphan, long, long)

	st, err := c.GC(int64(len("recent-blob")+len("pinned-blob")), func(d Digest) bool { return d == pinned })
	if err != nil {
		t.Fatal(err)
	}
	if c.HasBlob(old) || !c.HasBlob(pinned) || !c.HasBlob(recent) {
		t.Errorf("after gc: old %v pinned %v recent %v", c.HasBlob(old), c.HasBlob(pinned), c.HasBlob(recent))
	}
	if st.BlobsEvicted != 1 || st.ActionsRemoved != 1 || st.TmpFree != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestArrayDigestSeparatesHeaders(t *testing.T) {
	h1 := NewArrayHasher("float32", []int{2, 3})
	h2 := NewArrayHasher("float32", []int{3, 2})
	h3 := NewArrayHasher("int64", []int{2, 3})
	if h1.Sum() == h2.Sum() || h1.Sum() == h3.Sum() {
		t.Error("different shapes or dtypes hash alike")
	}
}

// BenchmarkArrayHasher measures canonical hashing throughput (goal ≥ 1 GB/s per core).
func BenchmarkArrayHasher(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		h := NewArrayHasher("float32", []int{len(data) / 4})
		h.Write(data)
		h.Sum()
	}
}

func BenchmarkGetAction(b *testing.B) {
	c, _ := Open(b.TempDir())
	var kb KeyBuilder
	kb.Line("k")
	c.PutAction(kb.Key(), Entry{Outputs: []Output{{"a", digestOf("a"), 1}}})
	for i := 0; i < b.N; i++ {
		if _, err := c.GetAction(kb.Key()); err != nil {
			b.Fatal(err)
		}
	}
}
