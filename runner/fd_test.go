package runner

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/experiments"
)

// sweepOf is a plan of n independent tiny stages.
func sweepOf(n int) string {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	return `
name: many
matrix:
  i: [` + strings.Join(vals, ", ") + `]
stages:
  s:
    kind: test_counter
    params: {label: many, value: ${i}}
`
}

// limitOpenFiles lowers this process's soft limit of open files to n for
// the rest of the test.
func limitOpenFiles(t *testing.T, n uint64) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// Open files are bounded by -j, not by the graph: thousands of ready
// stages (each once opened its lock file before waiting for a slot) run,
// then rerun, within a limit of 64 open files, expanded whole or streamed
// in windows of 100 cells.
func TestManyStagesFewFiles(t *testing.T) {
	n := 2000 // 1,000 exhausted the limit before lock files waited on slots
	if testing.Short() {
		n = 500
	}
	for name, p := range map[string]*experiments.Plan{"whole": plan(t, sweepOf(n)), "streamed": streamedPlan(t, sweepOf(n), 100)} {
		r := newRunner(t)
		limitOpenFiles(t, 64)
		for _, want := range []struct{ executed, cached int }{{n, 0}, {0, n}} {
			start := time.Now()
			s := run(t, r, p, 2)
			if s.Executed != want.executed || s.Cached != want.cached || s.Failed != 0 {
				t.Fatalf("%s: executed %d, cached %d, failed %d (%v); want %d, %d, 0", name, s.Executed, s.Cached, s.Failed, s.Failures[:min(1, len(s.Failures))], want.executed, want.cached)
			}
			t.Logf("%s: %d stages, %d executed: %v", name, n, s.Executed, time.Since(start))
		}
	}
}
