package runner

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// record queues n's execution for the run's recorder, which writes it to
// the provenance database in a batch. Blobs and the action record are
// already durable, so no row can point at missing bytes. A record that
// cannot be written is noted (unrecord) with an error naming n, its
// status and the run whose record of n is missing.
func (s *scheduler) record(n *node) {
	e := results.Execution{
		RunID: s.runID, Stage: n.inst.Name, Cell: n.cell, InstanceID: n.inst.ID,
		Kind: n.inst.Kind, Version: stages.VersionOf(n.inst.Stage, n.inst.Params),
		ActionKey: n.key.String(), KeyText: n.keyText, Status: string(n.status),
		Started: n.start, Ended: n.end, Wall: n.usage.Wall.Seconds(), CPU: n.usage.CPU.Seconds(),
		PeakRSS: n.usage.PeakRSS, Host: cmp.Or(n.usage.Host, s.host), Executor: s.opt.Executor.Name(),
		Seed: seedOf(n.inst.Params), Params: make(map[string]string, len(n.inst.Params)),
		Inputs: make([]results.Edge, 0, len(n.inputs)), Outputs: make([]results.Edge, 0, len(n.saved)),
	}
	if n.err != nil {
		e.Error = n.err.Error()
	}
	for _, line := range n.inst.ParamLines() {
		name, value, _ := strings.Cut(line, "=")
		e.Params[name] = value
	}
	for _, name := range slices.Sorted(maps.Keys(n.inputs)) {
		e.Inputs = append(e.Inputs, results.Edge{Name: name, Digest: n.inputs[name]})
	}
	for _, o := range n.saved {
		out, v, ok := s.describe(o)
		e.Outputs = append(e.Outputs, out)
		if ok {
			if e.Cite == nil {
				e.Cite = map[string]float64{}
			}
			e.Cite[o.Name] = v
		}
	}
	n.scalars = e.Cite
	label, status := n.label(), n.status
	s.rec.Record(e, func(err error) {
		s.unrecord(fmt.Errorf("no record of %s (status %s) in run %d: %w", label, status, s.runID, err))
	})
}

// ErrProvenance is wrapped by Run's error when part of a run's provenance
// could not be written to the database. The run then fails even if every
// stage succeeded: a result nobody can trace is not a result. The outputs
// stay in the cache (content-addressed, so harmless), and a rerun finds
// them there and records them without recomputing.
var ErrProvenance = errors.New("provenance not recorded")

// unrecord notes that n's record could not be written; the run goes on,
// since every output it computes is cached for the rerun that records it.
func (s *scheduler) unrecord(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unrecorded = append(s.unrecorded, err)
}

// provenanceError lists the records missing from the run, or is nil.
func (s *scheduler) provenanceError(total int) error {
	if len(s.unrecorded) == 0 {
		return nil
	}
	errs := slices.SortedFunc(slices.Values(s.unrecorded), func(a, b error) int {
		return strings.Compare(a.Error(), b.Error())
	})
	head := fmt.Errorf("%w: run %d has no record of %d of its %d stage instances; their outputs are cached, and a rerun records them without recomputing",
		ErrProvenance, s.runID, len(errs), total)
	return errors.Join(append([]error{head}, errs...)...)
}
