package main

import (
	"os"
	"syscall"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// reexecForBLAS restarts the process once with the OpenBLAS settings that
// linalg recommends for this CPU (a core type and a fixed thread count).
// OpenBLAS reads them when the library loads, before main runs, so they
// cannot be set from inside. EIGENLAB_NO_REEXEC=1 turns this off.
func reexecForBLAS() {
	env := linalg.PreferredEnv()
	if len(env) == 0 || os.Getenv("EIGENLAB_NO_REEXEC") != "" {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// On failure keep running with the library defaults: slower, still correct.
	syscall.Exec(exe, os.Args, append(os.Environ(), append(env, "EIGENLAB_NO_REEXEC=1")...))
}
