package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/eigenlab/eigenlab/cache"
)

// Run is one invocation of `eigenlab run`.
type Run struct {
	ID               int64
	Experiment, File string
	YAML             string
	Args             []string
	Status           string
	Started, Ended   time.Time
	Host             string
	PID              int
	Code             Code
	Env              map[string]string
}

// Code identifies the eigenlab build that ran.
type Code struct {
	Version, Revision string
	Modified          bool
}

// Execution is one stage instance's outcome within a run.
type Execution struct {
	ID, RunID               int64
	Experiment              string // filled by queries
	Stage, Cell, InstanceID string
	Kind, Version           string
	ActionKey, KeyText      string
	Status                  string
	Started, Ended          time.Time
	Wall, CPU               float64
	PeakRSS                 int64
	Host, Executor, Error   string
	Seed                    *int
	Params                  map[string]string
	Inputs, Outputs         []Edge
}

// Label names the execution as a REF would: "exp:stage@cell".
func (e *Execution) Label() string {
	s := e.Experiment + ":" + e.Stage
	if e.Cell != "" {
		s += "@" + e.Cell
	}
	return s
}

// Edge is an input or output artifact of an execution.
type Edge struct {
	Name   string
	Digest cache.Digest
	Kind   string // array | record | model
	DType  string
	Shape  []int
	Bytes  int64
}

const timeFmt = time.RFC3339Nano

// BeginRun records the start of a run and returns its id.
func (d *DB) BeginRun(ctx context.Context, r Run) (int64, error) {
	args, _ := json.Marshal(r.Args)
	env, _ := json.Marshal(r.Env)
	res, err := d.db.ExecContext(ctx, `INSERT INTO runs
		(experiment, file, yaml, args, status, started, host, pid, code_version, code_revision, code_modified, env_json)
		VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
		r.Experiment, r.File, r.YAML, string(args), r.Started.UTC().Format(timeFmt), r.Host, r.PID,
		r.Code.Version, r.Code.Revision, r.Code.Modified, string(env))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// EndRun records a run's final status.
func (d *DB) EndRun(ctx context.Context, id int64, status string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE runs SET status = ?, ended = ? WHERE id = ?`,
		status, d.now().UTC().Format(timeFmt), id)
	return err
}

// MarkDeadRuns marks as killed the runs of this host that claim to be
// running but whose process is gone, so no row says "running" forever.
func (d *DB) MarkDeadRuns(ctx context.Context, host string, alive func(pid int) bool) error {
	rows, err := d.db.QueryContext(ctx, `SELECT id, pid FROM runs WHERE status = 'running' AND host = ?`, host)
	if err != nil {
		return err
	}
	var dead []int64
	for rows.Next() {
		var id int64
		var pid int
		if rows.Scan(&id, &pid) == nil && !alive(pid) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	for _, id := range dead {
		if err := d.EndRun(ctx, id, "killed"); err != nil {
			return err
		}
	}
	return nil
}

// RecordExecution writes an execution with its params, artifacts and
// edges in one transaction. The caller guarantees the output blobs are
// durable in the cache before calling, so no row points at missing bytes.
func (d *DB) RecordExecution(ctx context.Context, e Execution) (int64, error) {
	var id int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO executions
			(run_id, stage, cell, instance_id, kind, version, action_key, key_text, status, started, ended,
			 wall_s, cpu_s, peak_rss_bytes, host, executor, error, seed)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.RunID, e.Stage, e.Cell, e.InstanceID, e.Kind, e.Version, e.ActionKey, e.KeyText, e.Status,
			e.Started.UTC().Format(timeFmt), e.Ended.UTC().Format(timeFmt), e.Wall, e.CPU, e.PeakRSS,
			e.Host, e.Executor, e.Error, e.Seed)
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for name, v := range e.Params {
			if _, err := tx.ExecContext(ctx, `INSERT INTO params VALUES (?, ?, ?)`, id, name, v); err != nil {
				return err
			}
		}
		for _, dir := range []struct {
			name  string
			edges []Edge
		}{{"in", e.Inputs}, {"out", e.Outputs}} {
			for _, g := range dir.edges {
				if _, err := tx.ExecContext(ctx, `INSERT INTO edges VALUES (?, ?, ?, ?)`, id, dir.name, g.Name, g.Digest.String()); err != nil {
					return err
				}
				if dir.name == "out" {
					shape, _ := json.Marshal(g.Shape)
					if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO artifacts VALUES (?, ?, ?, ?, ?)`,
						g.Digest.String(), g.Kind, g.DType, string(shape), g.Bytes); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return id, err
}

// execColumns and scanExecution read an executions row joined with its run.
const execColumns = `e.id, e.run_id, r.experiment, e.stage, e.cell, e.instance_id, e.kind, e.version,
	e.action_key, e.key_text, e.status, e.started, e.ended, e.wall_s, e.cpu_s, e.peak_rss_bytes,
	e.host, e.executor, e.error, e.seed`

func scanExecution(row interface{ Scan(...any) error }) (*Execution, error) {
	var e Execution
	var started, ended string
	var seed sql.NullInt64
	err := row.Scan(&e.ID, &e.RunID, &e.Experiment, &e.Stage, &e.Cell, &e.InstanceID, &e.Kind, &e.Version,
		&e.ActionKey, &e.KeyText, &e.Status, &started, &ended, &e.Wall, &e.CPU, &e.PeakRSS,
		&e.Host, &e.Executor, &e.Error, &seed)
	if err != nil {
		return nil, err
	}
	e.Started, _ = time.Parse(timeFmt, started)
	e.Ended, _ = time.Parse(timeFmt, ended)
	if seed.Valid {
		s := int(seed.Int64)
		e.Seed = &s
	}
	return &e, nil
}

// fill loads an execution's params and edges.
func (d *DB) fill(ctx context.Context, e *Execution) error {
	e.Params = map[string]string{}
	rows, err := d.db.QueryContext(ctx, `SELECT name, value FROM params WHERE execution_id = ?`, e.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n, v string
		rows.Scan(&n, &v)
		e.Params[n] = v
	}
	rows.Close()
	rows, err = d.db.QueryContext(ctx, `SELECT g.direction, g.name, g.digest, COALESCE(a.kind, ''), COALESCE(a.dtype, ''),
		COALESCE(a.shape, '[]'), COALESCE(a.bytes, 0)
		FROM edges g LEFT JOIN artifacts a ON a.digest = g.digest WHERE g.execution_id = ? ORDER BY g.name`, e.ID)
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
		g.Digest, _ = cache.ParseDigest(hex)
		json.Unmarshal([]byte(shape), &g.Shape)
		if dir == "in" {
			e.Inputs = append(e.Inputs, g)
		} else {
			e.Outputs = append(e.Outputs, g)
		}
	}
	return rows.Err()
}

// LastExecution returns the most recent successful (ok or cached)
// execution of a stage in a cell, or nil if there is none.
func (d *DB) LastExecution(ctx context.Context, experiment, stage, cell string) (*Execution, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+execColumns+` FROM executions e JOIN runs r ON r.id = e.run_id
		WHERE e.stage = ? AND e.cell = ? AND r.experiment = ? AND e.status IN ('ok', 'cached')
		ORDER BY e.id DESC LIMIT 1`, stage, cell, experiment)
	e, err := scanExecution(row)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return e, err
}

// Runs lists runs, newest first, of one experiment or of all ("").
func (d *DB) Runs(ctx context.Context, experiment string) ([]Run, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, experiment, file, status, started, COALESCE(ended, ''), host,
		code_revision, code_modified FROM runs WHERE ? = '' OR experiment = ? ORDER BY id DESC`, experiment, experiment)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var started, ended string
		if err := rows.Scan(&r.ID, &r.Experiment, &r.File, &r.Status, &started, &ended, &r.Host,
			&r.Code.Revision, &r.Code.Modified); err != nil {
			return nil, err
		}
		r.Started, _ = time.Parse(timeFmt, started)
		r.Ended, _ = time.Parse(timeFmt, ended)
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// Executions lists the executions of a run in order, with params and edges.
func (d *DB) Executions(ctx context.Context, runID int64) ([]*Execution, error) {
	return d.query(ctx, `SELECT `+execColumns+` FROM executions e JOIN runs r ON r.id = e.run_id
		WHERE e.run_id = ? ORDER BY e.id`, runID)
}

func (d *DB) query(ctx context.Context, q string, args ...any) ([]*Execution, error) {
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []*Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, e)
	}
	rows.Close()
	for _, e := range out {
		if err := d.fill(ctx, e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PinnedDigests are the outputs of the latest successful run of every
// experiment: gc keeps them so the current results stay reproducible.
func (d *DB) PinnedDigests(ctx context.Context) (map[cache.Digest]bool, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT g.digest FROM edges g JOIN executions e ON e.id = g.execution_id
		WHERE e.run_id IN (SELECT MAX(id) FROM runs WHERE status = 'ok' GROUP BY experiment)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pinned := map[cache.Digest]bool{}
	for rows.Next() {
		var hex string
		rows.Scan(&hex)
		if dg, err := cache.ParseDigest(hex); err == nil {
			pinned[dg] = true
		}
	}
	return pinned, rows.Err()
}
