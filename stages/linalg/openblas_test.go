//go:build !purego

package linalg

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestScratchIsReturned: scratch memory leaves the process when it is
// freed, also after a larger block was freed (which raises glibc's
// threshold for mapping blocks, so that malloc'd scratch stayed resident
// in its thread's arena).
func TestScratchIsReturned(t *testing.T) {
	if _, err := rss(); err != nil {
		t.Skipf("no resident set size to read: %v", err)
	}
	_, free := scratch[float64](3 << 20) // 24 MB
	free()
	before := mustRSS(t)
	buf, free := scratch[float64](2 << 20) // 16 MB
	for i := range buf {
		buf[i] = 1
	}
	if touched := mustRSS(t) - before; touched < 12<<20 {
		t.Fatalf("writing 16 MB of scratch made %d kB resident; want ≥ 12 MB", touched>>10)
	}
	free()
	if kept := mustRSS(t) - before; kept > 4<<20 {
		t.Errorf("%d kB of 16 MB of scratch still resident after it was freed", kept>>10)
	}
}

// rss is the process's resident set size in bytes (Linux's /proc).
func rss() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" { // "VmRSS:  1234 kB"
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, os.ErrNotExist
}

func mustRSS(t *testing.T) int64 {
	t.Helper()
	n, err := rss()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
