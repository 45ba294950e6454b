package stagetest

import "golang.org/x/sys/unix"

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
