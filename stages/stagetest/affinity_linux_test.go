package stagetest

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// limitCPUs cuts the calling thread's CPU affinity to its first n CPUs, if
// it has more; a process it starts inherits the mask.
func limitCPUs(n int) error {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() <= n {
		return err
	}
	var fewer unix.CPUSet
	for cpu := 0; fewer.Count() < n; cpu++ {
		if set.IsSet(cpu) {
			fewer.Set(cpu)
		}
	}
	return unix.SchedSetaffinity(0, &fewer)
}

// limitCPUs leaves the thread on the first n of its CPUs.
func TestLimitCPUs(t *testing.T) {
	runtime.LockOSThread() // the thread ends with the test: the mask dies with it
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil || before.Count() < 2 {
		t.Skipf("needs 2 CPUs to cut (%d, %v)", before.Count(), err)
	}
	if err := limitCPUs(1); err != nil {
		t.Fatal(err)
	}
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil || after.Count() != 1 {
		t.Errorf("after limitCPUs(1): %d CPUs (%v), want 1", after.Count(), err)
	}
}
