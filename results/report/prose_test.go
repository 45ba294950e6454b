package report

import "testing"

func TestProse(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0.7877, "0.788"}, {1, "1"}, {999.4, "999"}, {1224.3, "1224"}, {-2500.5, "-2501"}, {2.5e6, "2.5e+06"}, {1e-4, "0.0001"},
	} {
		if got := prose(c.v); got != c.want {
			t.Errorf("prose(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
