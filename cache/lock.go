package cache

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// maxLockPoll bounds the wait between two attempts to take a busy lock:
// short next to the seconds a stage computes, long enough not to spin.
const maxLockPoll = 20 * time.Millisecond

// Lock takes the exclusive lock of action k, waiting until it is free or
// ctx is done (then the error wraps ctx.Err()). Call unlock to release it;
// calling it again does nothing.
//
// The lock is flock(2) on locks/xx/<key>.lock. It excludes other processes
// and other goroutines of this process alike, because each call opens the
// file anew and flock locks belong to the open file description. It is
// advisory and dies with its process, so a killed run never leaves a key
// locked. flock cannot wait and watch ctx at once, so Lock polls with
// LOCK_NB, backing off from 1 ms to maxLockPoll.
func (c *Cache) Lock(ctx context.Context, k ActionKey) (unlock func(), err error) {
	p := c.path(locksDir, k.String(), ".lock")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { // see Open
		return nil, fmt.Errorf("cache: lock %s: %w", k.String()[:12], err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("cache: waiting for lock %s: %w", k.String()[:12], err)
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("cache: lock %s: %w", k.String()[:12], err)
		}
		if err := flockWait(ctx, f); err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: waiting for lock %s: %w", k.String()[:12], err)
		}
		if isCurrent(f, p) {
			// Closing releases the flock. A second call finds f closed
			// (its Fd is -1), so it cannot touch a later lock that reuses
			// the descriptor number.
			return func() { f.Close() }, nil
		}
		// GC removed the lock file while we waited on it (see
		// removeIdleLocks); a lock on the unlinked file excludes nobody.
		f.Close()
	}
}

// flockWait takes an exclusive flock on f, polling until it is free or ctx
// is done.
func flockWait(ctx context.Context, f *os.File) error {
	fd := int(f.Fd())
	wait := time.Millisecond
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		switch err {
		case nil:
			return nil
		case syscall.EINTR:
			continue
		case syscall.EWOULDBLOCK:
		default:
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxLockPoll)
	}
}

// isCurrent reports whether the open file f is still the one named path.
func isCurrent(f *os.File, path string) bool {
	opened, err1 := f.Stat()
	named, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(opened, named)
}

// removeIdleLocks removes the lock files nobody holds, so that they do not
// pile up one per action key ever computed. It removes a file only while
// holding its lock; a process that was waiting on that file then finds it
// unlinked (isCurrent) and locks the new one, so exclusion holds.
func (c *Cache) removeIdleLocks() (int, error) {
	removed := 0
	err := c.walk(locksDir, ".lock", func(name string, _ fs.FileInfo) error {
		if _, err := ParseActionKey(name); err != nil {
			return nil
		}
		p := c.path(locksDir, name, ".lock")
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return nil // removed meanwhile
		}
		defer f.Close()
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil && isCurrent(f, p) && os.Remove(p) == nil {
			removed++
		}
		return nil
	})
	return removed, err
}
