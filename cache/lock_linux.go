package cache

import (
	"encoding/binary"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockFile is the file whose bytes are the action locks (see Lock).
func (c *Cache) lockFile(ActionKey) string { return filepath.Join(c.dir, locksDir, "actions.lock") }

// tryLockKey takes k's byte of the open lock file f if it is free: an
// open-file-description lock, which, unlike a POSIX record lock, excludes
// the other descriptions this process opened, and is not dropped when
// another of them closes.
func tryLockKey(f *os.File, k ActionKey) (bool, error) {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: lockOffset(k), Len: 1}
	for {
		switch err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err {
		case nil:
			return true, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN, unix.EACCES:
			return false, nil
		default:
			return false, err
		}
	}
}

// lockOffset is the byte that stands for k: its first 62 bits, so two keys
// share a byte by a 2⁻⁶² chance and every offset fits in an off_t.
func lockOffset(k ActionKey) int64 { return int64(binary.BigEndian.Uint64(k[:8]) >> 2) }
