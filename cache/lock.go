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
// The lock excludes other processes and other goroutines of this process
// alike: each call opens its lock file anew, and the lock belongs to that
// open file description. It is advisory and dies with its process, so a
// killed run never leaves a key locked. On Linux it is a lock on one byte
// of the single file locks/actions.lock (fcntl F_OFD_SETLK, at an offset
// drawn from the key), so computing a key creates no file; elsewhere it is
// flock(2) on a file per key, locks/xx/<key>.lock. Neither can wait and
// watch ctx at once, so Lock polls, backing off from 1 ms to maxLockPoll.
func (c *Cache) Lock(ctx context.Context, k ActionKey) (unlock func(), err error) {
	p := c.lockFile(k)
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
		if err := poll(ctx, func() (bool, error) { return tryLockKey(f, k) }); err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: waiting for lock %s: %w", k.String()[:12], err)
		}
		if isCurrent(f, p) {
			// Closing releases the lock. A second call finds f closed
			// (its Fd is -1), so it cannot touch a later lock that reuses
			// the descriptor number.
			return func() { f.Close() }, nil
		}
		// The lock file was removed while we waited on it (GC's
		// removeIdleLocks, or by hand); a lock on the unlinked file
		// excludes nobody.
		f.Close()
	}
}

// poll calls try until it takes the lock or fails, or ctx is done.
func poll(ctx context.Context, try func() (bool, error)) error {
	wait := time.Millisecond
	for {
		switch ok, err := try(); {
		case err != nil:
			return err
		case ok:
			return nil
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

// flockTry takes an exclusive flock on f if it is free.
func flockTry(f *os.File) (bool, error) {
	for {
		switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err {
		case nil:
			return true, nil
		case syscall.EINTR:
			continue
		case syscall.EWOULDBLOCK:
			return false, nil
		default:
			return false, err
		}
	}
}

// isCurrent reports whether the open file f is still the one named path.
func isCurrent(f *os.File, path string) bool {
	opened, err1 := f.Stat()
	named, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(opened, named)
}

// removeIdleLocks removes the per-key lock files (locks/xx/<key>.lock)
// nobody holds, so that they do not pile up one per action key ever
// computed: those Lock makes where it has no byte-range locks, and those
// earlier versions made everywhere. It removes a file only while holding
// its lock; a process that was waiting on that file then finds it unlinked
// (isCurrent) and locks the new one, so exclusion holds.
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
		if ok, _ := flockTry(f); ok && isCurrent(f, p) && os.Remove(p) == nil {
			removed++
		}
		return nil
	})
	return removed, err
}
