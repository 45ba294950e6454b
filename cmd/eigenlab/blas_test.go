package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Under an address-space cap (ulimit -v 2000000) the binary used to hang
// in OpenBLAS's allocation retry loop, deaf to SIGTERM; it must refuse at
// once, exit 1 and say why and what to do.
func TestAddressSpaceCapIsRefused(t *testing.T) {
	s := newState(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", `ulimit -v 2000000 && exec "$0" run planted-sweep --set n=20 --set p=10`, binary)
	c.Env = s.cmd().Env
	out, err := c.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("still running after 30 s under ulimit -v 2000000:\n%s", out)
	}
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != exitFailed {
		t.Fatalf("exit %v, want %d:\n%s", err, exitFailed, out)
	}
	for _, want := range []string{"ulimit -v", "1.9 GiB", "--mem"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message does not say %q:\n%s", want, out)
		}
	}
}

// TestQueriesSkipTheRestart: each command that skips the OpenBLAS restart
// exists, and none of those that compute (stages, figures) skips it.
func TestQueriesSkipTheRestart(t *testing.T) {
	for name := range queries {
		if _, ok := commands[name]; !ok {
			t.Errorf("query %q is not a command", name)
		}
	}
	for _, name := range []string{"run", "verify", "report", "exec-stage"} {
		if queries[name] {
			t.Errorf("%q computes but skips the OpenBLAS restart", name)
		}
	}
}
