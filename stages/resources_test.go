package stages

import (
	"math"
	"runtime"
	"testing"
)

func TestArrayBytesAndSumBytesSaturate(t *testing.T) {
	for _, tc := range []struct {
		got, want int64
	}{
		{ArrayBytes(8, 3, 4), 96},
		{ArrayBytes(4, 2_000_000_000, 2_000_000_000, 3), math.MaxInt64},
		{ArrayBytes(8, 5, -1), 0},
		{SumBytes(1, 2, -5), 3},
		{SumBytes(math.MaxInt64-1, 2), math.MaxInt64},
	} {
		if tc.got != tc.want {
			t.Errorf("got %d, want %d", tc.got, tc.want)
		}
	}
}

// The planted and dead-leaves estimates bound what the sources really
// allocate (TotalAlloc, which also bounds the peak), so the runner's
// memory budget refuses and schedules on an honest number.
func TestLoadEstimatesBoundAllocations(t *testing.T) {
	for _, p := range []Params{
		{"source": "planted", "n": 1000, "p": 40, "alpha": 1.0},
		{"source": "planted", "n": 40, "p": 1000, "alpha": 1.0},
		{"source": "planted-pair", "n": 600, "dx": 30, "dy": 500, "alpha": 1.0},
		{"source": "deadleaves", "n": 2, "size": 300},
	} {
		l := load{}
		l.Defaults(p)
		est := l.Resources(p).MemBytes
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := runLoad(t, p); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		if est < alloc || est > 4*alloc+(1<<20) {
			t.Errorf("%v: estimate %d bytes, allocated %d: want an upper bound within 4×", p, est, alloc)
		}
	}
}

// The oversized params of the fault campaign get estimates far above any
// machine's memory, never an overflowed small or negative number.
func TestOversizedLoadEstimates(t *testing.T) {
	for _, tc := range []struct {
		p    Params
		want int64
	}{
		{Params{"source": "planted", "n": 100_000, "p": 100_000, "alpha": 1.0}, 300 << 30},
		{Params{"source": "planted-pair", "n": 100_000, "dx": 100_000, "dy": 10, "alpha": 1.0}, 300 << 30},
		{Params{"source": "deadleaves", "n": 10, "size": 100_000}, 1 << 40},
		{Params{"source": "deadleaves", "n": 10, "size": 2_000_000_000}, math.MaxInt64},
	} {
		l := load{}
		l.Defaults(tc.p)
		if got := l.Resources(tc.p).MemBytes; got < tc.want {
			t.Errorf("%v: estimate %d bytes, want ≥ %d", tc.p, got, tc.want)
		}
	}
}
