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
	// variance.
	Permute Resampling = iota
	// Bootstrap resamples test rows with replacement, the same rows for x̃
	// and ỹ.
	Bootstrap
)

// Resample returns n draws of the fold-mean spectrum (n × K): in draw d,
// each fold's test rows are redrawn and its Spectrum computed, then the
// folds are averaged. Draw d takes its rows from its own stream
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
					nte, _ := h.X.Dims()
					xrows, yrows := redraw(rng, nte, kind)
					addTo(row, Spectrum(h, xrows, yrows, m), 1/float64(len(folds)))
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// redraw returns the rows of x̃ and ỹ for one draw (nil: all, in order).
func redraw(rng *rand.Rand, n int, kind Resampling) (xrows, yrows []int) {
	if kind == Permute {
		return nil, rng.Perm(n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = rng.IntN(n)
	}
	return idx, idx
}
