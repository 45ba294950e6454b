package stages

import (
	"testing"
)

// leakyGroups returns g groups of m near-duplicate rows (as overlapping
// crops of one photo): the rows of group j are A_j (dx) and B_j (dy), drawn
// independently, plus noise of sd 0.1, so x and y share nothing beyond
// chance across groups; and the group label of each row.
func leakyGroups(seed, g, m, dx, dy int) (x, y, groups *Array) {
	rng := RNG("test-leaky-groups", seed)
	x, y, groups = NewF64(g*m, dx), NewF64(g*m, dy), Ints(make([]int, g*m)...)
	for j := 0; j < g; j++ {
		for _, side := range []struct {
			a *Array
			d int
		}{{x, dx}, {y, dy}} {
			centre := make([]float64, side.d)
			for c := range centre {
				centre[c] = rng.NormFloat64()
			}
			for i := j * m; i < (j+1)*m; i++ {
				for c, v := range centre {
					side.a.F64[i*side.d+c] = v + 0.1*rng.NormFloat64()
				}
			}
		}
		for i := j * m; i < (j+1)*m; i++ {
			groups.I64[i] = int64(j)
		}
	}
	return x, y, groups
}

// The overlapping-crops leakage (issue 10 item 3): with near-duplicate
// rows in each group and nothing shared across groups, random folds put
// copies of training rows in the test folds and inflate the held-out
// statistic, while grouped folds leave it at chance: crossdecomp's total
// (Pearson) and its fold t-interval, dims_above_null, and encode's mean r
// and its interval. The grouped half fails if groups are ignored.
func TestGroupsStopLeakage(t *testing.T) {
	x, y, g := leakyGroups(1, 100, 4, 20, 20)
	xe, ye, ge := leakyGroups(2, 100, 4, 60, 3)
	p := Params{"metric": "correlation", "n_folds": 5, "n_permutations": 200}
	for _, tc := range []struct {
		grouped bool
		in, ein Inputs
	}{
		{false, Inputs{"x": x, "y": y}, Inputs{"x": xe, "y": ye}},
		{true, Inputs{"x": x, "y": y, "groups": g}, Inputs{"x": xe, "y": ye, "groups": ge}},
	} {
		out, err := runCross(t, tc.in, p)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := encode{}.Run(t.Context(), tc.ein, encodeDefaults)
		if err != nil {
			t.Fatal(err)
		}
		total, ci := out["total"].(*Array).F64[0], out["total_ci"].(*Array).F64
		dims := out["dims_above_null"].(*Array).F64[0]
		rci := enc["mean_r_ci"].(*Array).F64
		if tc.grouped {
			if !(ci[0] < 0 && 0 < ci[1]) || dims > 2 || !(rci[0] < 0 && 0 < rci[1]) {
				t.Errorf("grouped folds: total %.3f, CI %v, dims_above_null %v, encode mean r CI %v; want CIs covering 0 and at most 2 dims", total, ci, dims, rci)
			}
		} else if ci[0] < 2 || dims < 5 || rci[0] < 0.4 {
			t.Errorf("random folds: total %.3f, CI %v, dims_above_null %v, encode mean r CI %v; want the leak to inflate all (CI above 2, ≥ 5 dims, r CI above 0.4)", total, ci, dims, rci)
		}
		want := map[bool]string{false: "random", true: "grouped"}[tc.grouped]
		for stage, info := range map[string]Record{"crossdecomp": out["info"].(Record), "encode": enc["info"].(Record)} {
			if info["folds"] != want || (info["n_groups"] == 100) != tc.grouped {
				t.Errorf("%s info: folds %v, n_groups %v; want %s (n_groups 100 only when grouped)", stage, info["folds"], info["n_groups"], want)
			}
		}
	}
}
