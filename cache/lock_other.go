//go:build !linux

package cache

import "os"

// lockFile is k's own lock file (see Lock).
func (c *Cache) lockFile(k ActionKey) string { return c.path(locksDir, k.String(), ".lock") }

// tryLockKey takes the flock of k's own lock file f if it is free.
func tryLockKey(f *os.File, _ ActionKey) (bool, error) { return flockTry(f) }
