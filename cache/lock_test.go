package cache

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func lock(t testing.TB, c *Cache, k ActionKey) func() {
	t.Helper()
	unlock, err := c.Lock(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return unlock
}

// tryLock reports whether k can be locked within d; if so it releases it.
func tryLock(c *Cache, k ActionKey, d time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	unlock, err := c.Lock(ctx, k)
	if errors.Is(err, context.DeadlineExceeded) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	unlock()
	return true, nil
}

func TestLockExcludesGoroutines(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
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
			n := inside.Add(1)
			for w := worst.Load(); n > w && !worst.CompareAndSwap(w, n); w = worst.Load() {
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

const lockChildEnv = "EIGENLAB_CACHE_LOCK_CHILD"

// The test binary re-runs itself as the child process: it takes the lock,
// says so on stdout, holds it for a while and exits.
func TestLockExcludesProcesses(t *testing.T) {
	if dir := os.Getenv(lockChildEnv); dir != "" {
		c, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		unlock := lock(t, c, keyOf("k"))
		os.Stdout.WriteString("locked\n")
		time.Sleep(300 * time.Millisecond)
		unlock()
		return
	}
	c := openCache(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockExcludesProcesses$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+c.Dir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	start := time.Now()
	unlock := lock(t, c, keyOf("k"))
	waited := time.Since(start)
	unlock()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if waited < 150*time.Millisecond {
		t.Errorf("got the lock after %v while another process held it", waited)
	}
}

func TestLockHonoursContext(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
	unlock := lock(t, c, k)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, k); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("held lock: err = %v, want deadline exceeded", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond || waited > time.Second {
		t.Errorf("gave up after %v, want about 50ms", waited)
	}
	unlock()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Lock(done, k); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context, free lock: err = %v, want canceled", err)
	}
}

// A second call of an unlock must not release a lock taken since, even if
// the new lock's file reuses the old file descriptor number.
func TestUnlockTwiceIsHarmless(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
	first := lock(t, c, k)
	first()
	second := lock(t, c, k)
	defer second()
	first()
	if free, err := tryLock(c, k, 30*time.Millisecond); free || err != nil {
		t.Errorf("lock free = %v (%v) while the second holder has it", free, err)
	}
}

// A waiter that finally locks a file GC (or a user) has unlinked must notice and lock
// the file now at the path, or two holders would run at once.
func TestLockFollowsReplacedLockFile(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
	old := lock(t, c, k)
	acquired := make(chan func())
	go func() {
		unlock, err := c.Lock(context.Background(), k)
		if err != nil {
			t.Error(err)
		}
		acquired <- unlock
	}()
	time.Sleep(20 * time.Millisecond) // let the waiter open the old file
	if err := os.Remove(c.lockFile(k)); err != nil {
		t.Fatal(err)
	}
	current := lock(t, c, k) // locks a new file at the same path
	old()
	select {
	case <-acquired:
		t.Fatal("waiter got the lock while the new lock file was held")
	case <-time.After(100 * time.Millisecond):
	}
	current()
	select {
	case unlock := <-acquired:
		unlock()
	case <-time.After(5 * time.Second):
		t.Fatal("waiter never got the lock")
	}
}
