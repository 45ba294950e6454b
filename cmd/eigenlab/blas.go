package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

// reexecForBLAS restarts the process once with the OpenBLAS settings that
// linalg recommends for this CPU (a fixed thread count, a short idle spin,
// a core type), unless args name a query command. OpenBLAS reads them when the library
// loads, before main runs, so they cannot be set from inside.
// EIGENLAB_NO_REEXEC=1 turns this off.
func reexecForBLAS(args []string) {
	env := linalg.PreferredEnv()
	if len(env) == 0 || os.Getenv("EIGENLAB_NO_REEXEC") != "" || len(args) > 0 && queries[args[0]] {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// On failure keep running with the library defaults: slower, still correct.
	syscall.Exec(exe, os.Args, append(os.Environ(), append(env, "EIGENLAB_NO_REEXEC=1")...))
}

// queries are the commands that never call OpenBLAS: they read the cache,
// the database or the experiment file. The restart cost `why` 6-12 ms of
// its ~60. Every other command (run, verify, report, exec-stage) computes,
// and restarts.
var queries = map[string]bool{"diff": true, "export": true, "gc": true, "ls": true, "plan": true, "stages": true, "why": true}

// minAddressSpace is the smallest address-space limit (ulimit -v) the
// process is let run under on cpus CPUs. OpenBLAS, glibc's per-thread
// malloc arenas (64 MiB each, up to 8 per CPU) and the Go runtime reserve
// address space far beyond the memory they touch, and when a reservation
// fails OpenBLAS retries it forever, deaf to SIGTERM. Measured on 2 CPUs:
// a sweep of tiny planted→spectrum cells hung under 2.25 GB, ran under
// 2.5 GB; the bound keeps a margin above that.
func minAddressSpace(cpus int) uint64 { return 2<<30 + uint64(cpus)*512<<20 }

// checkAddressSpace refuses to start under an address-space limit too low
// for OpenBLAS (see minAddressSpace), naming the limit, the need and what
// to use instead: a bound on memory, not on address space.
func checkAddressSpace() error {
	if linalg.Backend() != "openblas" {
		return nil
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) != nil || lim.Cur == ^uint64(0) /* RLIM_INFINITY */ {
		return nil
	}
	need := minAddressSpace(runtime.NumCPU())
	if lim.Cur >= need {
		return nil
	}
	return fmt.Errorf("the address-space limit (ulimit -v) is %s, below the %s eigenlab needs on %d CPUs: "+
		"OpenBLAS and malloc reserve address space far beyond the memory they use, and OpenBLAS hangs when it runs out. "+
		"Raise the limit (ulimit -v unlimited) and bound memory instead with --mem, or a cgroup (systemd-run --user --scope -p MemoryMax=2G eigenlab ...)",
		cache.HumanBytes(int64(lim.Cur)), cache.HumanBytes(int64(need)), runtime.NumCPU())
}
