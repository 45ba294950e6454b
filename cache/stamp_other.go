//go:build !linux

package cache

import (
	"io/fs"
	"os"
)

// stampOf is no stamp where ctime and inode are not read: every lookup
// re-hashes, as before stamps.
func stampOf(fs.FileInfo) Stamp { return Stamp{} }

// statStamp is the stamp of the regular file at path (none here); a file
// that is not regular is an error wrapping fs.ErrInvalid.
func statStamp(path string) (Stamp, error) {
	info, err := os.Stat(path)
	if err == nil && !info.Mode().IsRegular() {
		err = &fs.PathError{Op: "stat", Path: path, Err: fs.ErrInvalid}
	}
	if err != nil {
		return Stamp{}, err
	}
	return stampOf(info), nil
}
