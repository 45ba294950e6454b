package stagetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// The pins are exact bytes, and OpenBLAS's bytes follow its kernels (picked
// for the CPU when the library loads) and its thread count (linalg: one per
// CPU the process may use). The reference platform fixes both, so that any
// x86-64 machine with at least pinCPUs CPUs reproduces the pins: the
// Prescott (SSE3) kernels every x86-64 CPU runs, on pinCPUs threads.
const (
	pinCore = "Prescott"
	pinCPUs = 2
	// reexecMark marks the test process TestMain started on the platform.
	reexecMark = "EIGENLAB_STAGETEST_PLATFORM"
)

// pinPlatform says why this process cannot reproduce the pins ("" when it
// can): comparePins then only logs, and the determinism checks still run.
var pinPlatform string

// TestMain re-executes the test binary once on the reference platform:
// OPENBLAS_CORETYPE=pinCore (OpenBLAS reads it at load, before any Go code
// runs) and CPU affinity cut to pinCPUs CPUs, which the new process
// inherits and counts as its CPUs.
func TestMain(m *testing.M) {
	switch {
	case linalg.Backend() != "openblas":
		pinPlatform = "the pure-Go backend"
	case runtime.GOARCH != "amd64":
		pinPlatform = runtime.GOARCH
	case os.Getenv(reexecMark) == "":
		os.Exit(reexec())
	case os.Getenv("OPENBLAS_CORETYPE") != pinCore || runtime.NumCPU() != pinCPUs:
		core := os.Getenv("OPENBLAS_CORETYPE")
		if core == "" {
			core = "detected"
		}
		pinPlatform = fmt.Sprintf("OpenBLAS core %s on %d CPUs", core, runtime.NumCPU())
	}
	os.Exit(m.Run())
}

// reexec runs this test binary again on the reference platform and returns
// its exit code.
func reexec() int {
	// Go may run this goroutine on any thread, so the mask is set on the
	// thread that starts the child, locked to it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := limitCPUs(pinCPUs); err != nil {
		fmt.Fprintln(os.Stderr, "stagetest: cannot restrict the CPUs for the pins:", err)
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "OPENBLAS_CORETYPE="+pinCore, reexecMark+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "stagetest: re-executing the tests on the pin platform:", err)
		return 2
	}
}
