package runner

import (
	"context"
	"sync"
)

// slots is a counting semaphore of worker slots: a stage that declares T
// threads holds min(T, total) slots while it runs, so -j N bounds the
// threads in use, not just the number of stages.
type slots struct {
	mu    sync.Mutex
	cond  *sync.Cond
	free  int
	total int
}

func newSlots(n int) *slots {
	s := &slots{free: n, total: n}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// acquire takes n slots (capped at the total), waiting until they are free
// or ctx is done.
func (s *slots) acquire(ctx context.Context, n int) (int, error) {
	n = min(max(n, 1), s.total)
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.free < n {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		s.cond.Wait()
	}
	s.free -= n
	return n, nil
}

func (s *slots) release(n int) {
	s.mu.Lock()
	s.free += n
	s.mu.Unlock()
	s.cond.Broadcast()
}
