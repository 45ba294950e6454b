package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
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

// TestProfileUnwritable: a profile that cannot be written is said on
// stderr, naming the variable and the path; the command is not failed
// for it, and nothing is left behind.
func TestProfileUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "mem.prof")
	t.Setenv("EIGENLAB_CPUPROFILE", "")
	t.Setenv("EIGENLAB_MEMPROFILE", path)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	startProfile()()
	os.Stderr = stderr
	w.Close()
	msg, _ := io.ReadAll(r)
	if !strings.Contains(string(msg), "EIGENLAB_MEMPROFILE") || !strings.Contains(string(msg), path) {
		t.Errorf("stderr %q; want it to name EIGENLAB_MEMPROFILE and %s", msg, path)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("%s: %v; want nothing made", filepath.Dir(path), err)
	}
}

// lateSink keeps lateArray's allocation live, as a stage's output is.
var lateSink []float64

// lateArray makes an array as a stage does, after the last collection.
//
//go:noinline
func lateArray() { lateSink = make([]float64, 1<<20) }

// TestMemProfileHasTheLastAllocations: an array made after the last
// garbage collection, as a stage's output often is, is in the profile.
func TestMemProfileHasTheLastAllocations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.prof")
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but the profile's own
	lateArray()
	writeMemProfile(path)
	// The profile lists every place that allocated, with zero counts where
	// none were published yet: read the counts, as a user does.
	out, err := exec.Command("go", "tool", "pprof", "-sample_index=alloc_space", "-top", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(".lateArray")) {
		t.Errorf("the profile lacks the 8 MB made by lateArray after the last collection:\n%s", out)
	}
}
