package cache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Lock takes the exclusive lock of action k, waiting until it is free or
// ctx is done. It excludes other processes (flock on a per-key file) and
// other goroutines of this process (each call opens its own file
// description, and flock locks belong to the description).
//
// The lock is advisory and dies with its process, so a killed run never
// leaves a key locked.
func (c *Cache) Lock(ctx context.Context, k ActionKey) (unlock func(), err error) {
	p := c.path("locks", k.String(), ".lock")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cache: lock %s: %w", k.String()[:12], err)
	}
	wait := time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("cache: lock %s: %w", k.String()[:12], err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(wait):
			wait = min(2*wait, 50*time.Millisecond)
		}
	}
}
