package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// sweep1000 is a 1,000-instance sweep of trivial stages.
func sweep1000() string {
	vals := make([]string, 1000)
	for i := range vals {
		vals[i] = fmt.Sprint(i)
	}
	return `
name: bench
matrix:
  v: [` + strings.Join(vals, ",") + `]
stages:
  s:
    kind: test_counter
    params: {label: bench, value: ${v}}
`
}

// BenchmarkNoopRerun1000 times a rerun of a 1,000-stage sweep whose every
// stage is cached (goal: < 1 s in total). It includes key computation,
// action lookup, blob verification and provenance rows.
func BenchmarkNoopRerun1000(b *testing.B) {
	r := newRunner(b)
	p := plan(b, sweep1000())
	if _, err := r.Run(context.Background(), p, Options{Jobs: 2}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := r.Run(context.Background(), p, Options{Jobs: 2})
		if err != nil || s.Cached != 1000 {
			b.Fatalf("cached %d, err %v", s.Cached, err)
		}
	}
}

// BenchmarkRunnerOverheadPerStage executes 1,000 trivial stages into a
// fresh cache and reports the time per stage (goal: < 5 ms): key, lock,
// execution, blob writes with fsync, action record, provenance row.
func BenchmarkRunnerOverheadPerStage(b *testing.B) {
	p := plan(b, sweep1000())
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRunner(b)
		b.StartTimer()
		s, err := r.Run(context.Background(), p, Options{Jobs: 2})
		if err != nil || s.Executed != 1000 {
			b.Fatalf("executed %d, err %v", s.Executed, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000)/1000, "ms/stage")
}
