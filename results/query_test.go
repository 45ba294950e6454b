package results

import (
	"context"
	"testing"
)

// LastExecution goes back through the runs until one has the stage in
// the cell, and skips failed executions.
func TestLastExecution(t *testing.T) {
	f := twoRuns(t)
	ctx := context.Background()
	run3, err := f.db.BeginRun(ctx, Run{Experiment: "exp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.RecordExecution(ctx, Execution{RunID: run3, Stage: "fit", Cell: "alpha=1,seed=1", Status: "failed", Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	other, _ := f.db.BeginRun(ctx, Run{Experiment: "other"})
	f.exec(other, "fit", "alpha=2,seed=0", "powerlaw", "1", nil, nil, Edge{Name: "alpha", Digest: dg("other")}, nil)
	for _, tc := range []struct {
		stage, cell string
		run         int64 // 0: none
		status      string
	}{
		{"fit", "alpha=1,seed=0", 2, "cached"},
		{"fit", "alpha=2,seed=0", 1, "ok"}, // not in run 2, nor in run 3; run 4 is another experiment's
		{"fit", "alpha=1,seed=1", 2, "ok"}, // failed in run 3
		{"data", "alpha=1", 2, "cached"},
		{"fit", "alpha=3,seed=0", 0, ""},
	} {
		e, err := f.db.LastExecution(ctx, "exp", tc.stage, tc.cell)
		switch {
		case err != nil:
			t.Errorf("%s@%s: %v", tc.stage, tc.cell, err)
		case tc.run == 0 && e != nil:
			t.Errorf("%s@%s: execution %d of run %d, want none", tc.stage, tc.cell, e.ID, e.RunID)
		case tc.run != 0 && (e == nil || e.RunID != tc.run || e.Status != tc.status || e.Stage != tc.stage || e.Cell != tc.cell):
			t.Errorf("%s@%s: %+v, want the %s execution of run %d", tc.stage, tc.cell, e, tc.status, tc.run)
		}
	}
}
