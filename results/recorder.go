package results

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Batching of a Recorder: a batch is committed once it holds BatchSize
// executions or its oldest has waited FlushEvery, and at Close. Record
// waits while MaxPending executions are queued, so the queue's memory is
// bounded however far the stages outrun the database.
const (
	BatchSize  = 512
	MaxPending = 4 * BatchSize
	FlushEvery = 100 * time.Millisecond
)

// Recorder writes the executions of a run in batches, one transaction
// each, from one goroutine: a sweep of tiny stages then costs a commit per
// batch, not per stage, and never queues its goroutines on the write
// lock. A batch is committed only after every execution in it happened
// and its outputs are durable (the caller records an execution when it is
// done), so a process killed mid-run loses at most the uncommitted tail,
// never writes a row that is not true; its run stays "running" until
// MarkDeadRuns marks it killed.
type Recorder struct {
	d       *DB
	durable func() error  // makes what the batch's rows name durable, before they are committed
	kick    chan struct{} // a batch is full
	stop    chan struct{} // Close was called
	done    chan struct{} // the loop has flushed everything and returned

	mu      sync.Mutex
	taken   *sync.Cond // signalled when a flush takes the pending batch
	pending []pendingRecord
}

type pendingRecord struct {
	e    Execution
	io   sql.NullString // ioDigest(e), computed by the caller of Record, not the one writer
	fail func(error)
}

// NewRecorder starts a recorder on d. Before each batch is committed it
// calls durable (if not nil), which makes what the batch's rows name
// durable (the cache's Sync): a row never outlives the bytes it names.
// Close it to flush what is pending.
func (d *DB) NewRecorder(durable func() error) *Recorder {
	r := &Recorder{d: d, durable: durable, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	r.taken = sync.NewCond(&r.mu)
	go r.loop()
	return r
}

// Record queues e; if its record cannot be written, fail is called (from
// the recorder's goroutine) with an error naming it. It waits while
// MaxPending executions are queued.
func (r *Recorder) Record(e Execution, fail func(error)) {
	io := ioDigest(&e)
	r.mu.Lock()
	for len(r.pending) >= MaxPending {
		r.taken.Wait()
	}
	r.pending = append(r.pending, pendingRecord{e, io, fail})
	full := len(r.pending) >= BatchSize
	r.mu.Unlock()
	if full {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// Close commits what is pending and stops the recorder; every fail
// callback has been called when it returns.
func (r *Recorder) Close() {
	close(r.stop)
	<-r.done
}

func (r *Recorder) loop() {
	defer close(r.done)
	tick := time.NewTicker(FlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.kick:
		case <-tick.C:
		case <-r.stop:
			r.flush()
			return
		}
		r.flush()
	}
}

// flush commits everything pending in one transaction. If that fails for
// another reason than a busy database (which retry has waited out), each
// execution is tried alone, so that one bad record loses only itself.
func (r *Recorder) flush() {
	r.mu.Lock()
	batch := r.pending
	r.pending = make([]pendingRecord, 0, BatchSize)
	r.taken.Broadcast()
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if r.durable != nil {
		if err := r.durable(); err != nil {
			for i := range batch {
				batch[i].fail(recordError(&batch[i].e, err))
			}
			return
		}
	}
	ctx := context.Background()
	err := r.d.tx(ctx, func(tx *sql.Tx) error {
		in := newInserter(tx)
		var cached []string
		for i := range batch {
			if batch[i].e.Status == "cached" {
				cached = append(cached, batch[i].e.ActionKey)
			}
		}
		if err := in.prefetch(ctx, cached); err != nil {
			return err
		}
		for i := range batch {
			if _, err := in.insertAll(ctx, &batch[i].e, batch[i].io); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for i := range batch {
		if len(batch) == 1 || isBusy(err) {
			batch[i].fail(recordError(&batch[i].e, err))
			continue
		}
		if _, err := r.d.RecordExecution(ctx, batch[i].e); err != nil {
			batch[i].fail(err)
		}
	}
}
