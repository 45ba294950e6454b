package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestProfiles: EIGENLAB_CPUPROFILE and EIGENLAB_MEMPROFILE each get a
// pprof file (gzip-compressed protobuf) when the command stops.
func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	t.Setenv("EIGENLAB_CPUPROFILE", cpu)
	t.Setenv("EIGENLAB_MEMPROFILE", mem)
	stop := startProfile()
	garbage := make([][]byte, 0, 1000)
	for i := range 1000 {
		garbage = append(garbage, make([]byte, 1<<10+i))
	}
	stop()
	for _, path := range []string{cpu, mem} {
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: %d bytes, %v; want a gzip-compressed profile", path, len(b), err)
		}
	}
	_ = garbage
}
