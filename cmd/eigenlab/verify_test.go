package main

import (
	"math"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/runner"
)

func TestDescribeCheck(t *testing.T) {
	a, b := ndarray.Digest{1}, ndarray.Digest{2}
	nan := math.NaN()
	cases := []struct {
		name string
		c    runner.Check
		rtol float64
		want string
	}{
		{"exact array", runner.Check{Output: "x", Want: a, Got: a, Recorded: nan, Recomputed: nan}, 0,
			"ok   e:s.x: bit for bit"},
		{"exact scalar", runner.Check{Output: "alpha", Want: a, Got: a, Recorded: 1.5, Recomputed: 1.5}, 0,
			"ok   e:s.alpha: bit for bit; value 1.5 recorded, 1.5 recomputed"},
		{"drift within tolerance", runner.Check{Output: "alpha", Want: a, Got: b, MaxRelDiff: 2e-16, Recorded: 1.5, Recomputed: 1.5000000000000002}, 1e-10,
			"ok   e:s.alpha: within rtol 1e-10 (max relative difference 2e-16); value 1.5 recorded, 1.5000000000000002 recomputed"},
		{"drift beyond tolerance", runner.Check{Output: "x", Want: a, Got: b, MaxRelDiff: 1e-3, Recorded: nan, Recomputed: nan}, 1e-10,
			"FAIL e:s.x: recorded " + a.Short() + ", recomputed " + b.Short() + ": max relative difference 0.001 > rtol 1e-10"},
		{"bit for bit demanded", runner.Check{Output: "x", Want: a, Got: b, MaxRelDiff: 1e-16, Recorded: nan, Recomputed: nan}, 0,
			"FAIL e:s.x: recorded " + a.Short() + ", recomputed " + b.Short() + ": max relative difference 1e-16 > rtol 0"},
		{"not comparable", runner.Check{Output: "info", Want: a, Got: b, MaxRelDiff: math.Inf(1), Recorded: nan, Recomputed: nan}, 1,
			"FAIL e:s.info: recorded " + a.Short() + ", recomputed " + b.Short() + ": max relative difference +Inf > rtol 1"},
	}
	for _, c := range cases {
		if got := describeCheck("e:s."+c.c.Output, c.c, c.rtol); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// A tolerance that is not a number ≥ 0 is a usage error (exit 2) that
// names the flag, before anything is recomputed.
func TestVerifyRejectsBadTolerance(t *testing.T) {
	s := newState(t)
	for _, rtol := range []string{"-1", "NaN"} {
		out, code := s.run(t, "verify", "--rtol", rtol, "some-ref")
		if code != 2 || !strings.Contains(out, "--rtol "+rtol+": want a relative tolerance ≥ 0") {
			t.Errorf("--rtol %s: exit %d, output %q", rtol, code, out)
		}
	}
}
