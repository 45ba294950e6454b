//go:build !linux

package stagetest

// limitCPUs does nothing where the affinity cannot be set: a machine of
// more CPUs than the pins' then only logs a differing digest.
func limitCPUs(int) error { return nil }
