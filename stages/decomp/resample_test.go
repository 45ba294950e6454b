package decomp_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
)

// GroupRows, PairGroups and ClusterRows on a tiny fold whose three groups
// (labels 3, 7, 9; sizes 3, 2, 1) are interleaved in the test rows: exact
// indices, with groups of unequal size cycling in the pairing.
func TestGroupRedrawIndices(t *testing.T) {
	groups := decomp.GroupRows([]int64{7, 3, 9, 7, 3, 3})
	if want := [][]int{{1, 4, 5}, {0, 3}, {2}}; fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Fatalf("GroupRows: %v, want %v", groups, want)
	}
	for _, tc := range []struct {
		perm, want []int
	}{
		{[]int{0, 1, 2}, []int{0, 1, 2, 3, 4, 5}}, // identity: every row its own
		// 3 → 7: rows 1,4,5 take 0,3,0 (cycling); 7 → 9: rows 0,3 take 2,2; 9 → 3: row 2 takes 1
		{[]int{1, 2, 0}, []int{2, 0, 1, 2, 3, 0}},
		// 3 → 9: rows 1,4,5 take 2,2,2; 7 → 3: rows 0,3 take 1,4; 9 → 7: row 2 takes 0
		{[]int{2, 0, 1}, []int{1, 2, 0, 4, 2, 2}},
	} {
		if got := decomp.PairGroups(groups, tc.perm); !slices.Equal(got, tc.want) {
			t.Errorf("PairGroups(perm %v) = %v, want %v", tc.perm, got, tc.want)
		}
	}
	for _, tc := range []struct {
		pick, want []int
	}{
		{[]int{2, 1, 2}, []int{2, 0, 3, 2}},
		{[]int{0, 0, 1}, []int{1, 4, 5, 1, 4, 5, 0, 3}},
	} {
		if got := decomp.ClusterRows(groups, tc.pick); !slices.Equal(got, tc.want) {
			t.Errorf("ClusterRows(pick %v) = %v, want %v", tc.pick, got, tc.want)
		}
	}
}

// clusteredFolds plants held-out projections of f folds, each with m
// groups of 15–25 near-duplicate rows (as overlapping crops of one photo)
// in shuffled order: a row is its group's mean plus noise of sd 0.1, x's
// and y's group means are N(0, 1) and independent except that the first
// shared of the k components of y's equal x's. Groups are set per fold.
func clusteredFolds(seed uint64, f, m, k, shared int) []decomp.HeldOut {
	rng := rand.New(rand.NewPCG(seed, 99))
	held := make([]decomp.HeldOut, f)
	for i := range held {
		var labels []int64
		for g := 0; g < m; g++ {
			for range 15 + rng.IntN(11) {
				labels = append(labels, int64(g))
			}
		}
		rng.Shuffle(len(labels), func(a, b int) { labels[a], labels[b] = labels[b], labels[a] })
		mx, my := mat.NewDense(m, k, nil), mat.NewDense(m, k, nil)
		for g := 0; g < m; g++ {
			for c := 0; c < k; c++ {
				mx.Set(g, c, rng.NormFloat64())
				my.Set(g, c, rng.NormFloat64())
				if c < shared {
					my.Set(g, c, mx.At(g, c))
				}
			}
		}
		x, y := mat.NewDense(len(labels), k, nil), mat.NewDense(len(labels), k, nil)
		for r, g := range labels {
			for c := 0; c < k; c++ {
				x.Set(r, c, mx.At(int(g), c)+0.1*rng.NormFloat64())
				y.Set(r, c, my.At(int(g), c)+0.1*rng.NormFloat64())
			}
		}
		held[i] = decomp.HeldOut{X: x, Y: y, Groups: decomp.GroupRows(labels)}
	}
	return held
}

// withoutGroups is held with its groups dropped (rows redrawn one by one).
func withoutGroups(held []decomp.HeldOut) []decomp.HeldOut {
	out := slices.Clone(held)
	for i := range out {
		out[i].Groups = nil
	}
	return out
}

// aboveNull says per component whether its fold-mean spectrum exceeds the
// 99% quantile of its own permutation null.
func aboveNull(held []decomp.HeldOut, m decomp.Metric, seed uint64) []bool {
	_, k := held[0].X.Dims()
	spec := make([]float64, k)
	for _, h := range held {
		for c, v := range decomp.Spectrum(h, nil, nil, m) {
			spec[c] += v / float64(len(held))
		}
	}
	draws := decomp.Resample(held, decomp.Permute, m, 200, seed, 0)
	above := make([]bool, k)
	for c, v := range spec {
		col := mat.Col(nil, c, draws)
		sort.Float64s(col)
		above[c] = v > decomp.Quantile(col, 0.99)
	}
	return above
}

// count is the number of true values in b.
func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// Near-duplicate rows of 4 groups per fold, 4 folds, 10 components, no
// shared signal: with groups permuted, components exceed their own 99%
// null at about the 1% the level allows (at most 4 of 100 over 10 seeds,
// for Pearson and covariance); the row-level null, whose variance is
// ~1/n_te instead of ~1/groups, flags a large share (at least 20 of 100).
// A shared signal at the group level in the first 3 components stands
// above the grouped null in every seed.
func TestGroupNullOnClusteredRows(t *testing.T) {
	const seeds, k = 10, 10
	for _, m := range []decomp.Metric{{Correlation: true, Recenter: true}, {}} {
		var grouped, rows, planted int
		for s := uint64(0); s < seeds; s++ {
			null := clusteredFolds(s, 4, 4, k, 0)
			grouped += count(aboveNull(null, m, s))
			rows += count(aboveNull(withoutGroups(null), m, s))
			planted += count(aboveNull(clusteredFolds(s, 4, 4, k, 3), m, s)[:3])
		}
		if grouped > 4 || rows < 20 {
			t.Errorf("metric %+v, no shared signal: %d of %d components above the grouped null (want ≤ 4), %d above the row-level null (want ≥ 20)", m, grouped, seeds*k, rows)
		}
		if planted < 3*seeds {
			t.Errorf("metric %+v, 3 shared components: %d of the %d planted ones above the grouped null, want all", m, planted, 3*seeds)
		}
	}
}

// Every grouped draw is one of the redraws the groups allow: a permutation
// draw of a fold with 3 groups equals the spectrum of one of the 3! group
// pairings, a bootstrap draw that of one of the 3³ group picks, so rows
// never leave their group. And draws are the same bytes for 1 and 3
// workers.
func TestResampleGroupsRedrawsWholeGroups(t *testing.T) {
	h := clusteredFolds(5, 1, 3, 4, 0)[0]
	metric := decomp.Metric{Correlation: true, Recenter: true}
	allowed := map[decomp.Resampling]map[string]bool{decomp.Permute: {}, decomp.Bootstrap: {}}
	for a := 0; a < 3; a++ {
		for b := 0; b < 3; b++ {
			for c := 0; c < 3; c++ {
				pick := []int{a, b, c}
				idx := decomp.ClusterRows(h.Groups, pick)
				allowed[decomp.Bootstrap][fmt.Sprint(decomp.Spectrum(h, idx, idx, metric))] = true
				if a != b && b != c && a != c {
					allowed[decomp.Permute][fmt.Sprint(decomp.Spectrum(h, nil, decomp.PairGroups(h.Groups, pick), metric))] = true
				}
			}
		}
	}
	for kind, ok := range allowed {
		draws := decomp.Resample([]decomp.HeldOut{h}, kind, metric, 60, 11, 1)
		seen := map[string]bool{}
		for d := 0; d < 60; d++ {
			key := fmt.Sprint(draws.RawRowView(d))
			if !ok[key] {
				t.Fatalf("kind %d, draw %d: %s is not the spectrum of any whole-group redraw", kind, d, key)
			}
			seen[key] = true
		}
		if len(seen) < 4 {
			t.Errorf("kind %d: only %d distinct draws in 60; want the redraws to vary", kind, len(seen))
		}
		if again := decomp.Resample([]decomp.HeldOut{h}, kind, metric, 60, 11, 3); !mat.Equal(draws, again) {
			t.Errorf("kind %d: grouped draws differ between 1 and 3 workers", kind)
		}
	}
}
