package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole command to the file
// EIGENLAB_CPUPROFILE names, and the allocations it made to the file
// EIGENLAB_MEMPROFILE names, if set, for `go tool pprof`: how a user
// finds where a slow run or rerun spends its time and memory. The
// returned stop writes and closes them.
func startProfile() (stop func()) {
	stopCPU := startCPUProfile(os.Getenv("EIGENLAB_CPUPROFILE"))
	mem := os.Getenv("EIGENLAB_MEMPROFILE")
	return func() {
		stopCPU()
		if mem != "" {
			writeMemProfile(mem)
		}
	}
}

func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "eigenlab: EIGENLAB_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// writeMemProfile writes the allocation profile (pprof's "allocs": every
// sampled allocation since the start, and what is still live). The
// runtime publishes allocations to it at a garbage collection, so one is
// run first: a stage's big arrays, made after the last collection, would
// otherwise be missing.
func writeMemProfile(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "eigenlab: EIGENLAB_MEMPROFILE: %v\n", err)
	}
}
