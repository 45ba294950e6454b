package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Run is one invocation of `eigenlab run`.
type Run struct {
	ID               int64
	Experiment, File string
	YAML             string   // the exact YAML that ran
	Args             []string // the command line
	Status           string   // running | ok | failed | cancelled | killed
	Started, Ended   time.Time
	Host             string
	PID              int
	Code             Code
	Env              map[string]string // see Environment
}

// Code identifies the eigenlab build that ran.
type Code struct {
	Version, Revision string
	Modified          bool // built from a tree with uncommitted changes
}

// endStatuses are the statuses a run can end with.
var endStatuses = map[string]bool{"ok": true, "failed": true, "cancelled": true, "killed": true}

// BeginRun records the start of a run, with status running, and returns
// its id. A zero r.Started means now.
func (d *DB) BeginRun(ctx context.Context, r Run) (int64, error) {
	if r.Started.IsZero() {
		r.Started = d.now()
	}
	args, err := json.Marshal(r.Args)
	if err != nil {
		return 0, fmt.Errorf("recording run of %s: %w", r.Experiment, err)
	}
	env, err := json.Marshal(r.Env)
	if err != nil {
		return 0, fmt.Errorf("recording run of %s: %w", r.Experiment, err)
	}
	var id int64
	err = d.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs
		(experiment, file, yaml, args, status, started, host, pid, code_version, code_revision, code_modified, env_json)
		VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
			r.Experiment, r.File, r.YAML, string(args), formatTime(r.Started), r.Host, r.PID,
			r.Code.Version, r.Code.Revision, r.Code.Modified, string(env))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("recording run of %s: %w", r.Experiment, err)
	}
	return id, nil
}

// EndRun records a run's final status (ok, failed, cancelled or killed)
// and the time it ended.
func (d *DB) EndRun(ctx context.Context, id int64, status string) error {
	return d.tx(ctx, func(tx *sql.Tx) error { return d.endRun(ctx, tx, id, status) })
}

func (d *DB) endRun(ctx context.Context, tx *sql.Tx, id int64, status string) error {
	if !endStatuses[status] {
		return fmt.Errorf("ending run %d: status %q: want ok, failed, cancelled or killed", id, status)
	}
	res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, ended = ? WHERE id = ?`, status, formatTime(d.now()), id)
	if err != nil {
		return fmt.Errorf("ending run %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("ending run %d: no such run", id)
	}
	return nil
}

// MarkDeadRuns marks as killed the runs of this host that claim to be
// running but whose process is gone (alive reports whether a pid lives),
// so that no row says "running" forever after a crash or kill -9. Runs of
// other hosts are left alone: their processes cannot be checked from here.
func (d *DB) MarkDeadRuns(ctx context.Context, host string, alive func(pid int) bool) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, pid FROM runs WHERE status = 'running' AND host = ?`, host)
		if err != nil {
			return fmt.Errorf("finding dead runs: %w", err)
		}
		var dead []int64
		for rows.Next() {
			var id int64
			var pid int
			if err := rows.Scan(&id, &pid); err != nil {
				rows.Close()
				return fmt.Errorf("finding dead runs: %w", err)
			}
			if !alive(pid) {
				dead = append(dead, id)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, id := range dead {
			if err := d.endRun(ctx, tx, id, "killed"); err != nil {
				return err
			}
		}
		return nil
	})
}

// runColumns and scanRun read a runs row.
const runColumns = `id, experiment, file, yaml, args, status, started, COALESCE(ended, ''), host, pid,
	code_version, code_revision, code_modified, env_json`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var args, started, ended, env string
	err := row.Scan(&r.ID, &r.Experiment, &r.File, &r.YAML, &args, &r.Status, &started, &ended, &r.Host, &r.PID,
		&r.Code.Version, &r.Code.Revision, &r.Code.Modified, &env)
	if err != nil {
		return r, err
	}
	if r.Started, err = parseTime(started); err != nil {
		return r, err
	}
	if r.Ended, err = parseTime(ended); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(args), &r.Args); err != nil {
		return r, fmt.Errorf("run %d args: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(env), &r.Env); err != nil {
		return r, fmt.Errorf("run %d env_json: %w", r.ID, err)
	}
	return r, nil
}

// Runs lists runs, newest first, of one experiment or of all ("").
func (d *DB) Runs(ctx context.Context, experiment string) ([]Run, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+runColumns+` FROM runs
		WHERE ? = '' OR experiment = ? ORDER BY id DESC`, experiment, experiment)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("listing runs: %w", err)
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// run reads one run.
func (d *DB) run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(d.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return r, fmt.Errorf("run %d: %w", id, err)
	}
	return r, nil
}
