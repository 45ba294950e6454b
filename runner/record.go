package runner

import (
	"context"
	"log"
	"strings"

	"github.com/eigenlab/eigenlab/results"
)

// record writes n's execution to the provenance database. Blobs and the
// action record are already durable, so no row can point at missing bytes.
func (s *scheduler) record(n *node) {
	e := results.Execution{
		RunID: s.runID, Stage: n.inst.Name, Cell: n.cell, InstanceID: n.inst.ID,
		Kind: n.inst.Kind, Version: n.inst.Stage.Version(),
		ActionKey: n.key.String(), KeyText: n.keyText, Status: string(n.status),
		Started: n.start, Ended: n.end, Wall: n.usage.Wall.Seconds(), CPU: n.usage.CPU.Seconds(),
		PeakRSS: n.usage.PeakRSS, Host: s.host, Executor: s.opt.Executor.Name(),
		Seed: seedOf(n.inst.Params), Params: map[string]string{},
	}
	if n.err != nil {
		e.Error = n.err.Error()
	}
	for _, line := range n.inst.Params.Canonical() {
		name, value, _ := strings.Cut(line, "=")
		e.Params[name] = value
	}
	for _, name := range sortedNames(n.inputs) {
		e.Inputs = append(e.Inputs, results.Edge{Name: name, Digest: n.inputs[name]})
	}
	for _, name := range sortedNames(n.outputs) {
		e.Outputs = append(e.Outputs, s.describe(name, n.outputs[name], n.sizes[name]))
	}
	if _, err := s.r.DB.RecordExecution(context.Background(), e); err != nil {
		log.Printf("eigenlab: recording %s in the provenance database: %v", n.label(), err)
	}
}
