package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// Options control one run.
type Options struct {
	Jobs     int      // worker slots; 0 means runtime.NumCPU()
	Force    []string // stage names to recompute even when cached
	Executor Executor // nil means Local
	Args     []string // the command line, for provenance
	Progress Progress // nil means no progress output
	// MemBudget is the memory in bytes that the stages running at once
	// may use by their Resources estimates; 0 means the machine's
	// available memory (AvailableMemory), no limit where that is unknown.
	// A stage whose estimate alone exceeds it is refused before anything
	// runs (ErrOverBudget). Remote executors ignore it: there the
	// cluster's scheduler admits each job by its own estimate.
	MemBudget int64
	// KeepTemp keeps the outputs of temp stages in the cache instead of
	// removing them once consumed (experiments.Instance.Temp).
	KeepTemp bool
	// KeepScalars is the most rows of 0-d outputs per stage the summary
	// keeps (Summary.Scalars); 0 keeps every row. A sweep's summary then
	// stays the same size however many cells it has.
	KeepScalars int
}

// Runner executes plans against one cache and one provenance database.
type Runner struct {
	Cache *cache.Cache
	DB    *results.DB
	// Backend names the BLAS in use, for the environment fingerprint.
	Backend string
	// StreamAbove is the size in bytes above which an array input is
	// handed to its stage as a ndarray.ArrayFile, read from the cache on
	// demand, rather than decoded into memory; 0 means DefaultStreamAbove.
	// Stages that stream (spectrum) then stay within their own block
	// buffers; the others load the array whole, as below the threshold.
	StreamAbove int64
}

// Summary is the outcome of a run.
type Summary struct {
	RunID                          int64
	Executed, Cached, Failed, Skip int
	Failures                       []Failure
	Wall                           time.Duration
	// TempRemoved and TempBytes count the outputs of temp stages the run
	// removed from the cache once consumed, and their bytes.
	TempRemoved, TempBytes int64
	// Recomputed counts the stage instances run again for a reader that
	// found their outputs missing (removed as temp, evicted, corrupt); each
	// is recorded as another execution of the run.
	Recomputed int64

	keep          int            // Options.KeepScalars
	scalars       []ScalarRow    // kept (Scalars)
	kept, leftOut map[string]int // per stage, with keep
	nodes         []*node        // of a plan expanded whole, for tests
}

// Failure names a stage instance that failed and why.
type Failure struct {
	Stage, Cell string
	Err         error
}

func (f Failure) Error() string {
	at := f.Stage
	if f.Cell != "" {
		at += "@" + f.Cell
	}
	return fmt.Sprintf("stage %s: %v", at, f.Err)
}

// ErrStageFailed is wrapped by Run's error when at least one stage failed.
var ErrStageFailed = errors.New("stage failed")

// Run executes the plan. Independent branches finish even when a stage
// fails; descendants of a failed stage are skipped. The returned error
// wraps ErrStageFailed (listing every failure) or the context's error,
// and ErrProvenance if any part of the run's provenance (a stage's
// record, the run's end, the marking of dead runs before it) could not
// be written: such a run fails, even if every stage succeeded. A plan
// with a stage whose memory estimate exceeds the budget (opt.MemBudget)
// is refused with ErrOverBudget before anything runs or is recorded. A
// streamed plan (experiments.Stream) runs a window of cells at a time,
// each finished before the next is expanded, so that the run holds one
// window's nodes (and those the plan carries), whatever the sweep's size.
func (r *Runner) Run(ctx context.Context, p *experiments.Plan, opt Options) (*Summary, error) {
	if opt.Jobs <= 0 {
		opt.Jobs = runtime.NumCPU()
	}
	if opt.Executor == nil {
		opt.Executor = Local{}
	}
	if opt.Progress == nil {
		opt.Progress = nopProgress{}
	}
	budget := memBudget(opt)
	if err := checkBudget(p, budget, opt.MemBudget > 0); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if err := r.DB.MarkDeadRuns(ctx, host, processAlive); err != nil {
		return nil, fmt.Errorf("%w: marking the dead runs of %s as killed: %w", ErrProvenance, host, err)
	}
	start := time.Now()
	runID, err := r.DB.BeginRun(ctx, r.runRecord(p, opt, host, start))
	if err != nil {
		return nil, err
	}
	s := &scheduler{r: r, p: p, opt: opt, host: host, runID: runID,
		slots: newSlots(opt.Jobs, budget), force: map[string]bool{},
		pack: r.packFor(p)}
	s.temp.on = !opt.KeepTemp && p.HasTemp()
	for _, f := range opt.Force {
		s.force[f] = true
	}
	opt.Progress.Start(p.NumInstances())
	s.rec = r.DB.NewRecorder(r.Cache.Sync)
	sum := &Summary{RunID: runID, keep: opt.KeepScalars}
	g := newGraph(p)
	for insts, err := range p.Windows() {
		if err != nil {
			s.expandErr = fmt.Errorf("after %d of its %d stage instances, the plan no longer expands as it was validated: %w", sum.total(), p.NumInstances(), err)
			break
		}
		nodes := g.add(insts)
		s.runAll(ctx, nodes)
		sum.add(nodes, !p.Streamed())
		g.retire(nodes)
	}
	s.temp.release(r.Cache, g.carried())
	s.pack.Save() // best effort: without it the next run reads each record's file
	s.rec.Close() // every record written, or noted as missing
	opt.Progress.Finish()

	sum.Wall = time.Since(start)
	sum.TempRemoved, sum.TempBytes = s.temp.removed.Load(), s.temp.bytes.Load()
	sum.Recomputed = s.recomputed.Load()
	status, runErr := s.outcome(ctx, sum)
	if err := r.DB.EndRun(context.WithoutCancel(ctx), runID, status); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("%w: the end of run %d (status %s): %w", ErrProvenance, runID, status, err))
	}
	return sum, runErr
}

// packFor opens the pack of p's action records (cache.Pack): one per
// experiment file.
func (r *Runner) packFor(p *experiments.Plan) *cache.Pack {
	return r.Cache.OpenPack(p.Name + "\x00" + p.File)
}

// add counts a finished window's nodes by status and keeps their 0-d
// outputs (at most s.keep rows per stage, if not 0), and the nodes
// themselves if whole (a plan expanded whole: one window).
func (s *Summary) add(nodes []*node, whole bool) {
	if whole {
		s.nodes = append(s.nodes, nodes...)
	}
	for _, n := range nodes {
		switch n.status {
		case StatusOK:
			s.Executed++
		case StatusCached:
			s.Cached++
		case StatusFailed:
			s.Failed++
			s.Failures = append(s.Failures, Failure{n.inst.Name, n.cell, n.err})
		default:
			s.Skip++
		}
		if len(n.scalars) > 0 {
			s.keepScalars(ScalarRow{Stage: n.inst.Name, Cell: n.cell, Values: n.scalars})
		}
	}
}

// total is the number of stage instances counted so far.
func (s *Summary) total() int { return s.Executed + s.Cached + s.Failed + s.Skip }

// outcome is a finished run's status and error: cancelled (the context's
// error), failed (ErrStageFailed listing every failure, or ErrProvenance
// listing every missing record, or both) or ok.
func (s *scheduler) outcome(ctx context.Context, sum *Summary) (string, error) {
	status, err := "ok", error(nil)
	switch {
	case ctx.Err() != nil:
		status, err = "cancelled", ctx.Err()
	case sum.Failed > 0:
		errs := []error{ErrStageFailed}
		for _, f := range sum.Failures {
			errs = append(errs, f)
		}
		status, err = "failed", errors.Join(errs...)
	}
	if len(s.panics) > 0 {
		status, err = "failed", errors.Join(append([]error{err}, s.panics...)...)
	}
	if s.expandErr != nil {
		status, err = "failed", errors.Join(err, s.expandErr)
	}
	if perr := s.provenanceError(sum.total()); perr != nil {
		if status == "ok" {
			status = "failed"
		}
		err = errors.Join(err, perr)
	}
	return status, err
}

func (r *Runner) runRecord(p *experiments.Plan, opt Options, host string, start time.Time) results.Run {
	code := results.CodeVersion()
	return results.Run{
		Experiment: p.Name, File: p.File, YAML: string(p.Source), Args: opt.Args,
		Status: "running", Started: start, Host: host, PID: os.Getpid(),
		Code: code, Env: results.Environment(r.Backend),
	}
}

// scheduler runs the nodes of one run.
type scheduler struct {
	r     *Runner
	p     *experiments.Plan
	opt   Options
	host  string
	runID int64
	slots *slots
	force map[string]bool
	pack  *cache.Pack // the sweep's action records, from one file
	temp  tempOutputs // removes temp stages' outputs once consumed

	recomputed atomic.Int64 // executions of regenerate

	rec        *results.Recorder // writes the executions' records
	mu         sync.Mutex
	unrecorded []error // records that could not be written (record)
	panics     []error // internal errors (resolveSafely)
	expandErr  error   // the plan's windows stopped (experiments.Plan.Windows)
}

// runAll resolves every node of a window once its dependencies are
// resolved (those of earlier windows are), with a fixed pool of resolvers
// (resolvers), so that goroutines, open files and memory are bounded by
// -j, not by the size of the window: a node waiting
// for its turn is an entry in a list, nothing more. Ready nodes are taken
// last in, first out, so a chain (load → spectrum) finishes before the
// next starts and its inputs are read while still in the page cache.
func (s *scheduler) runAll(ctx context.Context, nodes []*node) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	pending := make(map[*node]int, len(nodes))
	var ready []*node
	for _, n := range nodes {
		for _, d := range n.deps {
			if d.status == "" { // not of an earlier window
				pending[n]++
			}
		}
		if pending[n] == 0 {
			ready = append(ready, n)
		}
	}
	left := len(nodes)
	resolver := func() {
		mu.Lock()
		defer mu.Unlock()
		for {
			for len(ready) == 0 && left > 0 {
				cond.Wait()
			}
			if left == 0 {
				return
			}
			n := ready[len(ready)-1]
			ready = ready[:len(ready)-1]
			mu.Unlock()
			s.resolveSafely(ctx, n)
			s.temp.consumed(s.r.Cache, n)
			mu.Lock()
			left--
			for _, u := range n.users {
				if pending[u]--; pending[u] == 0 {
					ready = append(ready, u)
				}
			}
			cond.Broadcast()
		}
	}
	var wg sync.WaitGroup
	for range resolvers(s.opt.Jobs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resolver()
		}()
	}
	wg.Wait()
}

// resolvers is how many nodes are resolved at once for -j jobs: twice the
// slots, so that cache lookups, provenance records and the storing of
// outputs go on while jobs stages compute, and at least 4.
func resolvers(jobs int) int { return max(2*jobs, 4) }

// ErrInternal is wrapped by Run's error when the runner itself panicked:
// a bug in eigenlab, not in a stage (a stage's panic is its failure).
var ErrInternal = errors.New("internal error (a bug in eigenlab, please report it)")

// resolveSafely is resolve, with a panic of the runner's own code turned
// into the failure of n and an internal error of the run, so that a bug
// fails the run cleanly instead of crashing it.
func (s *scheduler) resolveSafely(ctx context.Context, n *node) {
	defer func() {
		if v := recover(); v != nil {
			n.status, n.err = StatusFailed, fmt.Errorf("%w at %s: panic: %v\n%s", ErrInternal, n.label(), v, debug.Stack())
			s.mu.Lock()
			s.panics = append(s.panics, fmt.Errorf("%w at %s: panic: %v", ErrInternal, n.label(), v))
			s.mu.Unlock()
		}
	}()
	s.resolve(ctx, n)
}

// resolve decides a node's outcome: skipped, cached or executed.
func (s *scheduler) resolve(ctx context.Context, n *node) {
	n.start = time.Now()
	defer func() {
		n.end = time.Now()
		s.opt.Progress.Done(n.label(), n.status, n.usage.Wall, n.err)
		s.record(n)
		n.release()
	}()
	in, ok := n.inputDigests()
	if !ok || ctx.Err() != nil {
		n.status = StatusSkipped
		n.err = errors.New("not run: an upstream stage failed or the run was cancelled")
		return
	}
	n.inputs = in
	key, text, err := actionKey(n, in)
	if err != nil {
		n.status, n.err = StatusFailed, err
		return
	}
	n.key, n.keyText = key, text
	if !s.force[n.inst.Name] && s.lookup(n) {
		n.status = StatusCached
		return
	}
	if err := s.compute(ctx, n); err != nil {
		n.status, n.err = StatusFailed, err
	}
}

// lookup serves n from the cache if its action record and blobs are
// intact. A record whose stamps moved (its blobs were re-hashed) is
// rewritten with the new ones, so that the next lookup trusts them; if
// that fails (a read-only cache) the next lookup re-hashes again.
func (s *scheduler) lookup(n *node) bool {
	e, err := s.pack.Lookup(n.key)
	if err != nil {
		return false
	}
	e, moved, ok := store{s.r.Cache}.intact(e, n.inst.Temp)
	if !ok {
		return false
	}
	if moved {
		s.pack.Put(n.key, e)
	}
	n.saved = e.Outputs
	s.temp.saved(n, n.saved)
	return true
}

// compute executes n (or finds it cached after all) under the cache lock
// of its key and sets n.status on success, so that of several
// eigenlab processes sharing the cache only one computes it and the others
// find the result when the lock is released.
func (s *scheduler) compute(ctx context.Context, n *node) error {
	// The slots and memory are taken first, then the lock, then the
	// inputs: a stage waiting for its turn holds no lock file open and no
	// input in memory, so open files and peak memory are bounded by -j
	// and the budget, not by how many stages are ready.
	held, err := s.slots.acquire(ctx, n.inst.Stage.Resources(n.inst.Params))
	if err != nil {
		return err
	}
	unlock, err := s.r.Cache.Lock(ctx, n.key)
	if err != nil {
		s.slots.release(held)
		return err
	}
	defer unlock()
	if !s.force[n.inst.Name] && s.lookup(n) {
		s.slots.release(held)
		n.status = StatusCached
		return nil
	}
	job := Job{Stage: n.inst.Stage, Params: n.inst.Params, Label: n.label()}
	if rs, ok := n.inst.Stage.(stages.Resumable); ok {
		cp, unlockResume, err := s.newCheckpoints(ctx, n, rs)
		if err != nil {
			s.slots.release(held)
			return err
		}
		defer unlockResume()
		job.Checkpoints = cp
	}
	inputs, err := s.loadInputs(ctx, n)
	if err != nil {
		s.slots.release(held)
		return err
	}
	s.opt.Progress.Running(n.label())
	scratch := ndarray.NewScratch(s.r.Cache.TempDir())
	defer scratch.RemoveAll()
	job.Inputs, job.Scratch = inputs, scratch
	outs, usage, err := s.opt.Executor.Execute(ctx, job)
	s.slots.release(held)
	n.usage = usage
	if err != nil {
		return err
	}
	if err := s.save(n, outs, scratch); err != nil {
		return err
	}
	s.temp.saved(n, n.saved)
	n.status = StatusOK
	return nil
}

// checkOutputs holds a stage to the outputs it declared.
func checkOutputs(n *node, outs stages.Outputs) error {
	want := n.inst.Stage.Outputs(n.inst.Params)
	for _, name := range want {
		if outs[name] == nil {
			return fmt.Errorf("stage kind %q did not produce its declared output %q (a bug in the stage)", n.inst.Kind, name)
		}
	}
	return nil
}

// loadInputs reads n's inputs from the cache: decoded, or as ArrayFiles
// above the runner's StreamAbove. A corrupt input blob is evicted and its
// producer recomputed once.
func (s *scheduler) loadInputs(ctx context.Context, n *node) (stages.Inputs, error) {
	st := store{s.r.Cache}
	in := stages.Inputs{}
	for _, ref := range n.inst.Inputs {
		d := n.inputs[ref.Name]
		a, err := st.input(d, s.streamAbove())
		if errors.Is(err, cache.ErrCorrupt) || errors.Is(err, cache.ErrNotFound) {
			a, err = s.regenerate(ctx, n, ref, d)
		}
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", ref.Name, err)
		}
		in[ref.Name] = a
	}
	return in, nil
}

// streamAbove is the size above which an input reaches its stage as an
// ArrayFile (Runner.StreamAbove); 0 for a remote executor, whose job
// loads its inputs itself: here only their digests matter.
func (s *scheduler) streamAbove() int64 {
	if r, ok := s.opt.Executor.(remote); ok && r.remote() {
		return 0
	}
	return cmp.Or(s.r.StreamAbove, DefaultStreamAbove)
}

// regenerate recomputes the producer of a lost or corrupt blob (or one a
// temp stage's outputs left, tempOutputs) and checks that it yields the
// same digest (stages are deterministic). It holds the producer's lock,
// so the users of one producer that all miss its blob recompute it once:
// the later ones find it there. The recomputation is recorded as an
// execution of the producer in this run, beside the producer's own.
func (s *scheduler) regenerate(ctx context.Context, n *node, ref experiments.InputRef, d ndarray.Digest) (stages.Artifact, error) {
	var prod *node
	for _, dep := range n.deps {
		if dep.inst == ref.From {
			prod = dep
		}
	}
	unlock, err := s.r.Cache.Lock(ctx, prod.key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if a, err := (store{s.r.Cache}).input(d, s.streamAbove()); err == nil {
		return a, nil
	}
	again := &node{inst: prod.inst, cell: prod.cell, deps: prod.deps, key: prod.key, inputs: prod.inputs, start: time.Now()}
	_, again.keyText, _ = actionKey(again, again.inputs) // prod's was released once recorded
	outs, err := s.recompute(ctx, again)
	again.end = time.Now()
	again.status = StatusOK
	if err != nil {
		again.status, again.err = StatusFailed, err
	}
	s.record(again)
	s.recomputed.Add(1)
	if err != nil {
		return nil, fmt.Errorf("recomputing %s, whose output %s is missing or corrupt: %w", prod.label(), ref.Output, err)
	}
	a := outs[ref.Output]
	if a.Digest() != d {
		return nil, fmt.Errorf("recomputed %s.%s has digest %s, not %s: the stage is not deterministic", prod.label(), ref.Output, a.Digest().Short(), d.Short())
	}
	return a, nil
}

// recompute executes n again (regenerate) and stores its outputs and
// action record, setting n's usage and saved outputs.
func (s *scheduler) recompute(ctx context.Context, n *node) (stages.Outputs, error) {
	s.r.Cache.DeleteAction(n.key)
	in, err := s.loadInputs(ctx, n)
	if err != nil {
		return nil, err
	}
	scratch := ndarray.NewScratch(s.r.Cache.TempDir())
	defer scratch.RemoveAll()
	outs, usage, err := s.opt.Executor.Execute(ctx, Job{Stage: n.inst.Stage, Inputs: in, Params: n.inst.Params, Scratch: scratch, Label: n.label()})
	n.usage = usage
	if err != nil {
		return nil, err
	}
	return outs, s.save(n, outs, scratch)
}

// save holds n's outputs to what its stage declares, stores them and then
// n's action record, and sets n.saved. The record is written only after
// every blob is durable, so a record never points at bytes that are not
// there.
func (s *scheduler) save(n *node, outs stages.Outputs, scratch *ndarray.Scratch) error {
	if err := checkOutputs(n, outs); err != nil {
		return err
	}
	saved, err := store{s.r.Cache}.put(outs, scratch)
	if err != nil {
		return err
	}
	if err := s.pack.Put(n.key, cache.Entry{Outputs: saved, Time: time.Now()}); err != nil {
		return err
	}
	n.saved = saved
	return nil
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// ScalarRow holds the 0-d outputs of one stage instance of a run.
type ScalarRow struct {
	Stage, Cell string
	Values      map[string]float64
}

// keepScalars keeps row, unless s keeps s.keep rows of its stage already:
// then it only counts it (ScalarsLeftOut).
func (s *Summary) keepScalars(row ScalarRow) {
	if s.keep > 0 {
		if s.leftOut == nil {
			s.kept, s.leftOut = map[string]int{}, map[string]int{}
		}
		if s.kept[row.Stage] >= s.keep {
			s.leftOut[row.Stage]++
			return
		}
		s.kept[row.Stage]++
	}
	s.scalars = append(s.scalars, row)
}

// Scalars returns the 0-d array outputs (α, ED, r², ...) of the instances
// that produced any, in plan order: the numbers a summary table shows.
// They were read once, when each execution was recorded. With
// Options.KeepScalars, a stage's rows after the first that many are left
// out and counted (ScalarsLeftOut); the provenance database has them all.
func (s *Summary) Scalars() []ScalarRow { return s.scalars }

// ScalarsLeftOut is the number of stage's rows Scalars leaves out.
func (s *Summary) ScalarsLeftOut(stage string) int { return s.leftOut[stage] }
