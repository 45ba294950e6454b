package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// resolveStage resolves EXP:STAGE[.OUTPUT][@cell] to the ok or cached
// executions of the stage in the latest run of EXP that has any, the
// latest of each cell (a run that served a stage from its record and then
// recomputed it for a reader that found its outputs gone has two). Each
// way it can fail names what the REF could have said instead.
func (d *DB) resolveStage(ctx context.Context, r ref) ([]*Execution, error) {
	var runID int64
	err := d.db.QueryRowContext(ctx, `SELECT r.id FROM runs r WHERE r.experiment = ? AND EXISTS
		(SELECT 1 FROM executions e WHERE e.run_id = r.id AND e.stage = ? AND e.status IN ('ok', 'cached'))
		ORDER BY r.id DESC LIMIT 1`, r.exp, r.stage).Scan(&runID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, d.noStageError(ctx, r)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.text, err)
	}
	all, err := d.scan(ctx, `WHERE e.run_id = ? AND e.stage = ? AND e.status IN ('ok', 'cached') ORDER BY e.id`, runID, r.stage)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.text, err)
	}
	if err := d.checkAxes(ctx, r, runID); err != nil {
		return nil, err
	}
	var out []*Execution
	at := map[string]int{} // cell -> its index in out
	for _, e := range all {
		if !cellMatches(e.Cell, r.filter) {
			continue
		}
		if i, seen := at[e.Cell]; seen {
			out[i] = e
			continue
		}
		at[e.Cell] = len(out)
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no cell of stage %q in run %d matches; its cells are %s",
			r.text, r.stage, runID, cellList(all))
	}
	return out, d.fillAll(ctx, out)
}

// noStageError explains why no run of the experiment has the stage: the
// experiment has no runs (listing those that do), or its latest run has
// other stages (listing them).
func (d *DB) noStageError(ctx context.Context, r ref) error {
	var runID int64
	var status string
	err := d.db.QueryRowContext(ctx, `SELECT id, status FROM runs WHERE experiment = ? ORDER BY id DESC LIMIT 1`, r.exp).
		Scan(&runID, &status)
	if errors.Is(err, sql.ErrNoRows) {
		exps, err := d.strings(ctx, `SELECT DISTINCT experiment FROM runs ORDER BY experiment`)
		if err != nil {
			return fmt.Errorf("%s: %w", r.text, err)
		}
		return fmt.Errorf("%s: no runs of experiment %q; the database has %s", r.text, r.exp, orNothing(exps))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.text, err)
	}
	stages, err := d.strings(ctx, `SELECT DISTINCT stage FROM executions WHERE run_id = ? AND status IN ('ok', 'cached') ORDER BY stage`, runID)
	if err != nil {
		return fmt.Errorf("%s: %w", r.text, err)
	}
	return fmt.Errorf("%s: no run of %q has an ok or cached execution of stage %q; its latest run (%d, %s) has %s",
		r.text, r.exp, r.stage, runID, status, orNothing(stages))
}

// checkAxes rejects filter axes that no cell of the run has, which are
// typos rather than axes the stage does not depend on.
func (d *DB) checkAxes(ctx context.Context, r ref, runID int64) error {
	if len(r.filter) == 0 {
		return nil
	}
	cells, err := d.strings(ctx, `SELECT DISTINCT cell FROM executions WHERE run_id = ?`, runID)
	if err != nil {
		return fmt.Errorf("%s: %w", r.text, err)
	}
	axes := map[string]bool{}
	for _, c := range cells {
		for k := range parseCell(c) {
			axes[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.filter)) {
		if !axes[k] {
			return fmt.Errorf("%s: run %d has no axis %q; its axes are %s", r.text, runID, k, orNothing(slices.Sorted(maps.Keys(axes))))
		}
	}
	return nil
}

// strings runs a query whose rows are one text column.
func (d *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func cellList(execs []*Execution) string {
	var cells []string
	for _, e := range execs {
		cells = append(cells, e.Cell)
	}
	sort.Strings(cells)
	return strings.Join(cells, "; ")
}

func orNothing(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
