// Package atomicfile writes a file so that readers see either its old
// content or the whole new content, never a part, and so that the new
// content and its name survive a crash once the write returns. It is the
// one writer for every file eigenlab hands to a user or another process:
// cache blobs and action records, exports, reports and cited numbers, and
// the result file of a Slurm job.
//
// It imports nothing of eigenlab, so that cache (which must import no
// other package of the project) can use it.
package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// UserMode is the mode of files written for people and their tools
// (exports, reports): readable by all, as a file made by cp would be.
const UserMode fs.FileMode = 0o644

// Write makes path hold exactly the bytes that write produces, with mode
// perm (set as given, whatever the umask), or leaves path as it was. The
// bytes go to a temporary file in path's directory, so that the rename is
// atomic; see WriteVia.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return WriteVia(filepath.Dir(path), path, perm, write)
}

// WriteVia is Write with the temporary file made in tempDir, which must be
// on path's file system (rename cannot cross file systems). The cache uses
// it so that the temporary files a crash leaves behind are all in one
// directory that its GC cleans.
//
// The temporary file has a unique random name, so several writers of the
// same path, in one process or several, never share one: each renames its
// own whole file, and the last rename wins. It is fsynced before the
// rename, so a crash cannot expose a named but empty or partial file, and
// path's directory is fsynced after it, so the new name itself survives.
// If write fails or panics, or any step fails, the temporary file is
// removed and path is untouched (unless the final directory fsync fails,
// after which path holds the new bytes but they may not survive a crash).
func WriteVia(tempDir, path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeVia(tempDir, path, perm, write, os.Rename, Durable)
}

// Durability says which fsyncs a write does (see WriteBatched).
type Durability int

const (
	// Durable fsyncs the file before the rename and its directory after:
	// the new content and name survive a crash once the write returns.
	Durable Durability = iota
	// DataDurable fsyncs the file before the rename but not its
	// directory: a crash may lose the new name (the path keeps its old
	// content or none) but never exposes it with partial content. The
	// caller makes names durable in batches (a syncfs of the file system).
	DataDurable
	// Volatile fsyncs nothing: after a crash the path may hold its old
	// content, nothing, or a partial file. Only for files whose readers
	// detect a partial one and treat it as absent.
	Volatile
)

// WriteBatched is WriteVia with the fsyncs of d: a writer of many small
// files pays one barrier per batch instead of two fsyncs per file.
func WriteBatched(tempDir, path string, perm fs.FileMode, d Durability, write func(io.Writer) error) error {
	return writeVia(tempDir, path, perm, write, os.Rename, d)
}

// WriteNew is Write for a path that must not exist: if it does, or another
// writer creates it before this one is done, WriteNew leaves it untouched
// and returns an error that wraps fs.ErrExist. The whole temporary file is
// published by link(2), which fails atomically on an existing name, so no
// check-then-rename race can replace a file. On a file system without hard
// links the existence check and the rename are two steps.
func WriteNew(path string, perm fs.FileMode, write func(io.Writer) error) error {
	return writeVia(filepath.Dir(path), path, perm, write, publishNew, Durable)
}

// publishNew gives the finished temporary file tmp the name path, which
// must not exist, and leaves tmp's own name gone, as a rename would.
func publishNew(tmp, path string) error {
	exists := &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		// path holds the bytes now; a temporary name that cannot be
		// removed is litter for the user, not a failed write.
		os.Remove(tmp)
		return nil
	case errors.Is(err, fs.ErrExist):
		return exists // not the link error, which names the temporary file
	}
	// No hard links here (FAT, some network and FUSE file systems).
	if _, statErr := os.Lstat(path); statErr == nil {
		return exists
	}
	return os.Rename(tmp, path)
}

// writeVia writes the temporary file and hands it to publish, which gives
// it the name path (os.Rename replaces; publishNew refuses to).
func writeVia(tempDir, path string, perm fs.FileMode, write func(io.Writer) error, publish func(tmp, path string) error, d Durability) error {
	tmp, err := os.CreateTemp(tempDir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		return err
	}
	if d != Volatile {
		if err := tmp.Sync(); err != nil {
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := publish(tmp.Name(), path); err != nil {
		return err
	}
	published = true
	if d != Durable {
		return nil
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory, making the names created, renamed or removed
// in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
