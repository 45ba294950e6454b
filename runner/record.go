package runner

import (
	"cmp"
	"context"
	"log"
	"maps"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// record writes n's execution to the provenance database. Blobs and the
// action record are already durable, so no row can point at missing bytes.
func (s *scheduler) record(n *node) {
	e := results.Execution{
		RunID: s.runID, Stage: n.inst.Name, Cell: n.cell, InstanceID: n.inst.ID,
		Kind: n.inst.Kind, Version: stages.VersionOf(n.inst.Stage, n.inst.Params),
		ActionKey: n.key.String(), KeyText: n.keyText, Status: string(n.status),
		Started: n.start, Ended: n.end, Wall: n.usage.Wall.Seconds(), CPU: n.usage.CPU.Seconds(),
		PeakRSS: n.usage.PeakRSS, Host: cmp.Or(n.usage.Host, s.host), Executor: s.opt.Executor.Name(),
		Seed: seedOf(n.inst.Params), Params: map[string]string{},
	}
	if n.err != nil {
		e.Error = n.err.Error()
	}
	for _, line := range n.inst.Params.Canonical() {
		name, value, _ := strings.Cut(line, "=")
		e.Params[name] = value
	}
	for _, name := range slices.Sorted(maps.Keys(n.inputs)) {
		e.Inputs = append(e.Inputs, results.Edge{Name: name, Digest: n.inputs[name]})
	}
	for _, name := range slices.Sorted(maps.Keys(n.outputs)) {
		out := s.describe(name, n.outputs[name], n.sizes[name])
		e.Outputs = append(e.Outputs, out)
		if v, ok := s.scalar(out); ok {
			if e.Cite == nil {
				e.Cite = map[string]float64{}
			}
			e.Cite[name] = v
		}
	}
	if _, err := s.r.DB.RecordExecution(context.Background(), e); err != nil {
		log.Printf("eigenlab: recording %s in the provenance database: %v", n.label(), err)
	}
}

// scalar returns the value of a 0-d array output, which reports cite by a
// stable id (results.CitationID). Such blobs are a few bytes, so reading
// them back costs nothing next to the stage.
func (s *scheduler) scalar(out results.Edge) (float64, bool) {
	if out.Kind != "array" || len(out.Shape) != 0 {
		return 0, false
	}
	a, err := store{s.r.Cache}.load(out.Digest)
	if err != nil {
		return 0, false
	}
	arr, ok := a.(*stages.Array)
	if !ok {
		return 0, false
	}
	return arr.Value(0), true
}
