// Package regular opens input files only when they are regular files (or
// links to one). Opening a named pipe blocks until a writer comes, and a
// device such as /dev/zero never ends, so a FIFO named a.png or an
// experiment path of /dev/zero would hang a run or exhaust its memory;
// here they are refused by name before anything is read.
//
// The check is made on the path before it is opened and again on the open
// file; a FIFO swapped in between the two can still block the open, which
// only a hostile local user racing the run could arrange.
//
// It imports nothing of eigenlab, so every package that reads user input
// can use it.
package regular

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by the errors of Stat, Open and ReadFile for a
// path that is a directory, named pipe, socket or device.
var ErrNotRegular = errors.New("not a regular file")

// Stat returns the file info of path, following links, or an error naming
// path that wraps ErrNotRegular and says what it is instead.
func Stat(path string) (fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	return info, check(path, info)
}

// Open opens path for reading, refusing it before the open unless it is a
// regular file, and returns the open file with its info (its size is the
// number of bytes a reader will get).
func Open(path string) (*os.File, fs.FileInfo, error) {
	if err := checkPath(path); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = check(path, info)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// ReadFile is os.ReadFile for regular files only.
func ReadFile(path string) ([]byte, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// checkPath refuses path if it exists and is not a regular file. A path
// that cannot be stat'ed is left for the open to fail on, so the error is
// the familiar "open PATH: no such file or directory".
func checkPath(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return check(path, info)
}

// check returns nil for a regular file, else an error naming path.
func check(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, kind(info.Mode()))
}

// kind names what a non-regular file is, for the error.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return fmt.Sprintf("of mode %v", m)
}
