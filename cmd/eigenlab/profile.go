package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole command to the file
// EIGENLAB_CPUPROFILE names, if set, for `go tool pprof`: how a user
// finds where a slow run or rerun spends its time. The returned stop
// flushes it.
func startProfile() (stop func()) {
	path := os.Getenv("EIGENLAB_CPUPROFILE")
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
