package regular

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRefusesNonRegular: a FIFO (which would block the open), a device
// that never ends and a directory are refused by name, promptly; a
// regular file and a link to one are read.
func TestRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "a.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, what := range map[string]string{fifo: "named pipe", "/dev/zero": "character device", dir: "directory"} {
		done := make(chan error, 3)
		go func() {
			_, err := ReadFile(path)
			done <- err
			_, _, err = Open(path)
			done <- err
			_, err = Stat(path)
			done <- err
		}()
		for range 3 {
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), what) {
					t.Errorf("%s: error %v, want ErrNotRegular naming the path and %q", path, err, what)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: still blocked after 5 s", path)
			}
		}
	}
	file := filepath.Join(dir, "x.yaml")
	if err := os.WriteFile(file, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(link); err != nil || string(b) != "abc" {
		t.Errorf("ReadFile(link to a regular file) = %q, %v", b, err)
	}
	f, info, err := Open(file)
	if err != nil || info.Size() != 3 {
		t.Fatalf("Open(regular file) = %v, %v", info, err)
	}
	f.Close()
}
