package decomp

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// Resampling is a way of redrawing the held-out rows (§3.5).
type Resampling int

const (
	// Permute permutes ỹ's test rows (x̃ is kept): the null of no shared
	// variance. With HeldOut.Groups it permutes whole groups instead
	// (PairGroups).
	Permute Resampling = iota
	// Bootstrap resamples test rows with replacement, the same rows for x̃
	// and ỹ. With HeldOut.Groups it is a cluster bootstrap: whole groups
	// are resampled (ClusterRows).
	Bootstrap
)

// Resample returns n draws of the fold-mean spectrum (n × K): in draw d,
// each fold's test rows are redrawn and its Spectrum computed, then the
// folds are averaged. A fold with Groups redraws whole groups, one
// without redraws rows. Draw d takes its rows from its own stream
// PCG(seed, d), and draws are spread over workers (≤ 0: GOMAXPROCS), so
// the result does not depend on the number of workers. Each draw costs
// O(n_te·K) per fold (§3.9).
func Resample(folds []HeldOut, kind Resampling, m Metric, n int, seed uint64, workers int) *mat.Dense {
	_, k := folds[0].X.Dims()
	out := mat.NewDense(n, k, nil)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := int(next.Add(1) - 1); d < n; d = int(next.Add(1) - 1) {
				rng := rand.New(rand.NewPCG(seed, uint64(d)))
				row := out.RawRowView(d)
				for _, h := range folds {
					xrows, yrows := redraw(rng, h, kind)
					addTo(row, Spectrum(h, xrows, yrows, m), 1/float64(len(folds)))
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// redraw returns the rows of x̃ and ỹ for one draw of fold h (nil: all,
// in order): rows one by one, or whole groups when h has Groups.
func redraw(rng *rand.Rand, h HeldOut, kind Resampling) (xrows, yrows []int) {
	if h.Groups != nil {
		return redrawGroups(rng, h.Groups, kind)
	}
	n, _ := h.X.Dims()
	if kind == Permute {
		return nil, rng.Perm(n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = rng.IntN(n)
	}
	return idx, idx
}

// redrawGroups is redraw over whole groups: a permutation of the groups
// (PairGroups) or len(groups) groups drawn with replacement (ClusterRows).
func redrawGroups(rng *rand.Rand, groups [][]int, kind Resampling) (xrows, yrows []int) {
	if kind == Permute {
		return nil, PairGroups(groups, rng.Perm(len(groups)))
	}
	pick := make([]int, len(groups))
	for i := range pick {
		pick[i] = rng.IntN(len(groups))
	}
	idx := ClusterRows(groups, pick)
	return idx, idx
}

// PairGroups returns ỹ's row for each test row under the group
// permutation perm (§3.5, grouped): the rows of group a, groups[a] (test
// row indices in their order), are paired with those of group perm[a],
// the t-th row of a with row t mod |perm[a]| of perm[a], so the number of
// rows is unchanged and groups of unequal size cycle.
func PairGroups(groups [][]int, perm []int) []int {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	yrows := make([]int, n)
	for a, rows := range groups {
		to := groups[perm[a]]
		for t, i := range rows {
			yrows[i] = to[t%len(to)]
		}
	}
	return yrows
}

// ClusterRows returns the rows of a cluster bootstrap that drew the groups
// pick (indices into groups, with repeats): every row of each drawn group,
// in the group's order, group after group.
func ClusterRows(groups [][]int, pick []int) []int {
	var idx []int
	for _, g := range pick {
		idx = append(idx, groups[g]...)
	}
	return idx
}
