package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/eigenlab/eigenlab/ndarray"
)

// execColumns and scanExecution read an executions row (e) joined with its
// run (r).
const execColumns = `e.id, e.io_id, e.run_id, r.experiment, e.stage, e.cell, e.instance_id, e.kind, e.version,
	e.action_key, e.key_text, e.status, e.started, e.ended, e.wall_s, e.cpu_s, e.peak_rss_bytes,
	e.host, e.executor, e.error, e.seed`

const execFrom = ` FROM executions e JOIN runs r ON r.id = e.run_id `

func scanExecution(row interface{ Scan(...any) error }) (*Execution, error) {
	var e Execution
	var started, ended string
	var seed sql.NullInt64
	err := row.Scan(&e.ID, &e.ioID, &e.RunID, &e.Experiment, &e.Stage, &e.Cell, &e.InstanceID, &e.Kind, &e.Version,
		&e.ActionKey, &e.KeyText, &e.Status, &started, &ended, &e.Wall, &e.CPU, &e.PeakRSS,
		&e.Host, &e.Executor, &e.Error, &seed)
	if err != nil {
		return nil, err
	}
	if e.Started, err = parseTime(started); err != nil {
		return nil, err
	}
	if e.Ended, err = parseTime(ended); err != nil {
		return nil, err
	}
	if seed.Valid {
		s := int(seed.Int64)
		e.Seed = &s
	}
	return &e, nil
}

// query reads the executions a query selects, each with its params and
// edges. q follows "SELECT execColumns FROM executions e JOIN runs r".
func (d *DB) query(ctx context.Context, q string, args ...any) ([]*Execution, error) {
	es, err := d.scan(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return es, d.fillAll(ctx, es)
}

// scan reads the executions a query selects without their params and edges.
func (d *DB) scan(ctx context.Context, q string, args ...any) ([]*Execution, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+execColumns+execFrom+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// fillAll loads the params and edges of scanned executions. It runs after
// the scan's rows are closed: an in-memory database has one connection,
// which open rows would hold.
func (d *DB) fillAll(ctx context.Context, es []*Execution) error {
	for _, e := range es {
		if err := d.fill(ctx, e); err != nil {
			return fmt.Errorf("execution %d: %w", e.ID, err)
		}
	}
	return nil
}

// queryOne is query for at most one execution; nil if there is none.
func (d *DB) queryOne(ctx context.Context, q string, args ...any) (*Execution, error) {
	es, err := d.query(ctx, q+" LIMIT 1", args...)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return es[0], nil
}

// fill loads an execution's params and edges (those of the execution it
// shares them with, see schemaV3), the edges in name order.
func (d *DB) fill(ctx context.Context, e *Execution) error {
	e.Params = map[string]string{}
	rows, err := d.db.QueryContext(ctx, `SELECT name, value FROM params WHERE execution_id = ?`, e.ioID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			rows.Close()
			return err
		}
		e.Params[n] = v
	}
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = d.db.QueryContext(ctx, `SELECT g.direction, g.name, g.digest, COALESCE(a.kind, ''), COALESCE(a.dtype, ''),
		COALESCE(a.shape, '[]'), COALESCE(a.bytes, 0)
		FROM edges g LEFT JOIN artifacts a ON a.digest = g.digest WHERE g.execution_id = ? ORDER BY g.direction, g.name`, e.ioID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dir, hex, shape string
		var g Edge
		if err := rows.Scan(&dir, &g.Name, &hex, &g.Kind, &g.DType, &shape, &g.Bytes); err != nil {
			return err
		}
		if g.Digest, err = ndarray.ParseDigest(hex); err != nil {
			return fmt.Errorf("edge %s: %w", g.Name, err)
		}
		if err := json.Unmarshal([]byte(shape), &g.Shape); err != nil {
			return fmt.Errorf("shape of %s: %w", hex, err)
		}
		if dir == "in" {
			e.Inputs = append(e.Inputs, g)
		} else {
			e.Outputs = append(e.Outputs, g)
		}
	}
	return rows.Err()
}

// LastExecution returns the most recent successful (ok or cached)
// execution of a stage in a cell, or nil if there is none: its key text,
// diffed with the current one, says why the stage is stale. It probes
// the experiment's runs newest first (runs_experiment, then
// executions_run), so it reads as many runs as it goes back.
func (d *DB) LastExecution(ctx context.Context, experiment, stage, cell string) (*Execution, error) {
	e, err := d.queryOne(ctx, `WHERE r.experiment = ? AND e.stage = ? AND e.cell = ? AND e.status IN ('ok', 'cached')
		ORDER BY r.id DESC, e.id DESC`, experiment, stage, cell)
	if err != nil {
		return nil, fmt.Errorf("last execution of %s:%s@%s: %w", experiment, stage, cell, err)
	}
	return e, nil
}

// StageCell names a stage instance of an experiment across runs.
type StageCell struct{ Stage, Cell string }

// LastKeyTexts returns the key text of the most recent successful (ok or
// cached) execution of every stage and cell of an experiment: what
// LastExecution says of each, for a whole sweep in one query.
func (d *DB) LastKeyTexts(ctx context.Context, experiment string) (map[StageCell]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT e.stage, e.cell, e.key_text FROM executions e WHERE e.id IN
		(SELECT MAX(e2.id) FROM executions e2 JOIN runs r ON r.id = e2.run_id
		 WHERE r.experiment = ? AND e2.status IN ('ok', 'cached') GROUP BY e2.stage, e2.cell)`, experiment)
	if err != nil {
		return nil, fmt.Errorf("last executions of %s: %w", experiment, err)
	}
	defer rows.Close()
	last := map[StageCell]string{}
	for rows.Next() {
		var sc StageCell
		var text string
		if err := rows.Scan(&sc.Stage, &sc.Cell, &text); err != nil {
			return nil, fmt.Errorf("last executions of %s: %w", experiment, err)
		}
		last[sc] = text
	}
	return last, rows.Err()
}

// Executions lists the executions of a run in the order they were
// recorded, with params and edges.
func (d *DB) Executions(ctx context.Context, runID int64) ([]*Execution, error) {
	es, err := d.query(ctx, `WHERE e.run_id = ? ORDER BY e.id`, runID)
	if err != nil {
		return nil, fmt.Errorf("executions of run %d: %w", runID, err)
	}
	return es, nil
}

// PinnedDigests are the inputs and outputs of the latest ok run of every
// experiment: gc keeps them so that current results stay reproducible.
func (d *DB) PinnedDigests(ctx context.Context) (map[ndarray.Digest]bool, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT g.digest FROM edges g JOIN executions e ON e.io_id = g.execution_id
		WHERE e.run_id IN (SELECT MAX(id) FROM runs WHERE status = 'ok' GROUP BY experiment)`)
	if err != nil {
		return nil, fmt.Errorf("pinned digests: %w", err)
	}
	defer rows.Close()
	pinned := map[ndarray.Digest]bool{}
	for rows.Next() {
		var hex string
		if err := rows.Scan(&hex); err != nil {
			return nil, fmt.Errorf("pinned digests: %w", err)
		}
		dg, err := ndarray.ParseDigest(hex)
		if err != nil {
			return nil, fmt.Errorf("pinned digests: %w", err)
		}
		pinned[dg] = true
	}
	return pinned, rows.Err()
}
