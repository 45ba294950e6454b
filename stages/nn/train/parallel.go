package train

import (
	"runtime"
	"sync"
)

// parallel calls f on consecutive ranges [lo, hi) that cover [0, n), one
// range per CPU the process may use (GOMAXPROCS), concurrently. Each call
// must write only what its range owns, so that the result is the same
// bytes whatever the number of ranges.
func parallel(n int, f func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for t := 1; t < w; t++ {
		wg.Go(func() { f(t*n/w, (t+1)*n/w) })
	}
	f(0, n/w)
	wg.Wait()
}
