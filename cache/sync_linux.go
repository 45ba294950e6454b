package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS commits the file system holding dir to disk (syncfs(2)): data
// and metadata of every file on it, in one call.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
