package experiments

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// TestLoadNonRegular: an experiment path that is a device or a FIFO is
// refused by name, promptly, instead of read forever or blocked on; a
// shipped name still resolves.
func TestLoadNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "exp.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, ref := range []string{"/dev/zero", fifo} {
		done := make(chan error, 1)
		go func() { _, err := Load(ref, nil); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, regular.ErrNotRegular) || !strings.HasPrefix(err.Error(), "experiment "+ref+": ") {
				t.Errorf("%s: %v, want ErrNotRegular naming the file", ref, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still reading after 5 s", ref)
		}
	}
	if _, err := Load(Shipped()[0], userData(t)[Shipped()[0]]); err != nil {
		t.Errorf("shipped %s: %v", Shipped()[0], err)
	}
}
