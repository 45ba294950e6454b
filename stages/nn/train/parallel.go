package train

import (
	"runtime"
	"sync"
)

// job is a loop over [0, n) that parallel splits: run(lo, hi) does
// iterations lo…hi−1 and must write only what they own, so that the bytes
// do not depend on the split. The layers implement it on themselves (a
// pointer in an interface), so that a training step does not allocate.
type job interface{ run(lo, hi int) }

// parallel runs j over consecutive ranges covering [0, n), one per CPU
// the process may use (GOMAXPROCS), the first on the calling goroutine
// and the others on the pool's, and returns when all are done.
func parallel(n int, j job) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		j.run(0, n)
		return
	}
	pool.start(w - 1)
	done := pool.done.Get().(*sync.WaitGroup)
	done.Add(w - 1)
	for t := 1; t < w; t++ {
		pool.tasks <- task{j, t * n / w, (t + 1) * n / w, done}
	}
	j.run(0, n/w)
	done.Wait()
	pool.done.Put(done)
}

// task is one range of a job, with the group that waits for it.
type task struct {
	j      job
	lo, hi int
	done   *sync.WaitGroup
}

// workerPool holds the goroutines that run the ranges of parallel's jobs:
// as many as the most ranges beyond the first that one call has needed,
// living as long as the process, idle on the task channel between jobs.
// Concurrent calls (several trainings at once) queue their tasks on the
// same channel.
type workerPool struct {
	mu      sync.Mutex
	workers int
	tasks   chan task
	done    sync.Pool // *sync.WaitGroup, reused so that a call does not allocate
}

var pool = &workerPool{tasks: make(chan task, 64), done: sync.Pool{New: func() any { return new(sync.WaitGroup) }}}

// start makes sure at least n workers run.
func (p *workerPool) start(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ; p.workers < n; p.workers++ {
		go func() {
			for t := range p.tasks {
				t.j.run(t.lo, t.hi)
				t.done.Done()
			}
		}()
	}
}
