package runner

import (
	"context"
	"sync"

	"github.com/eigenlab/eigenlab/stages"
)

// slots is a counting semaphore of worker slots and bytes of memory: a
// stage that declares T threads and an estimate of M bytes holds
// min(T, total) slots and min(M, budget) bytes while it runs, so -j N
// bounds the threads in use and the summed estimates of the running
// stages stay within the memory budget, as a cluster scheduler admits
// jobs. A stage with no estimate (0) takes no memory.
type slots struct {
	mu        sync.Mutex
	cond      *sync.Cond
	free      int
	total     int
	freeMem   int64
	budgetMem int64 // 0: memory is not counted
}

// grant is what one acquire took, to be given back to release.
type grant struct {
	slots int
	mem   int64
}

// newSlots makes n slots and a memory budget of mem bytes (0: no limit).
func newSlots(n int, mem int64) *slots {
	s := &slots{free: n, total: n, freeMem: mem, budgetMem: mem}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// acquire takes the slots and memory res asks for (each capped at the
// total), waiting until both are free or ctx is done.
func (s *slots) acquire(ctx context.Context, res stages.Resources) (grant, error) {
	g := grant{slots: min(max(res.Threads, 1), s.total)}
	if s.budgetMem > 0 {
		g.mem = min(max(res.MemBytes, 0), s.budgetMem)
	}
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.free < g.slots || s.freeMem < g.mem {
		if err := ctx.Err(); err != nil {
			return grant{}, err
		}
		s.cond.Wait()
	}
	s.free -= g.slots
	s.freeMem -= g.mem
	return g, nil
}

// release gives back what acquire took.
func (s *slots) release(g grant) {
	s.mu.Lock()
	s.free += g.slots
	s.freeMem += g.mem
	s.mu.Unlock()
	s.cond.Broadcast()
}
