package results

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Execution is one stage instance's outcome within a run.
type Execution struct {
	ID, RunID               int64
	Experiment              string // the run's experiment; filled by queries
	Stage, Cell, InstanceID string // Cell: the axis values it depends on, "alpha=1,seed=0" or ""
	Kind, Version           string
	ActionKey, KeyText      string // KeyText: the readable lines hashed into ActionKey
	Status                  string // ok | cached | failed | skipped
	Started, Ended          time.Time
	Wall, CPU               float64 // seconds
	PeakRSS                 int64   // bytes
	Host, Executor, Error   string
	Seed                    *int // the stage's seed param, if it has one
	Params                  map[string]string
	Inputs, Outputs         []Edge
	ioID                    int64 // the execution whose params and edges rows are this one's; read by queries
	// Cite holds the values of 0-d outputs, by output name, that reports
	// may cite; RecordExecution stores them in cited (a view, schemaV5) under
	// CitationID, replacing the value of an earlier run. Not read back.
	Cite map[string]float64
}

// Label names the execution as a REF would: "exp:stage@cell".
func (e *Execution) Label() string {
	s := e.Experiment + ":" + e.Stage
	if e.Cell != "" {
		s += "@" + e.Cell
	}
	return s
}

// Edge is an input or output artifact of an execution. Kind, DType, Shape
// and Bytes describe the artifact; they are stored for outputs and read
// back for both.
type Edge struct {
	Name   string
	Digest ndarray.Digest
	Kind   string // array | record | model
	DType  string
	Shape  []int
	Bytes  int64
}

// execStatuses are the statuses an execution can be recorded with.
var execStatuses = map[string]bool{"ok": true, "cached": true, "failed": true, "skipped": true}

// RecordExecution writes an execution with its params, artifacts, edges
// and cited scalars in one transaction, and returns its id. The caller
// guarantees that the output blobs are durable in the cache first, so no
// row ever points at missing bytes.
func (d *DB) RecordExecution(ctx context.Context, e Execution) (int64, error) {
	var id int64
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = newInserter(tx).insertAll(ctx, &e, ioDigest(&e))
		return err
	})
	if err != nil {
		return 0, recordError(&e, err)
	}
	return id, nil
}

// recordError names the execution whose record failed.
func recordError(e *Execution, err error) error {
	at := e.Stage
	if e.Cell != "" {
		at += "@" + e.Cell
	}
	return fmt.Errorf("recording %s in run %d: %w", at, e.RunID, err)
}

// inserter writes executions within one transaction, preparing each
// statement once for the whole batch: re-preparing SQL per row was most
// of the cost of recording a no-op rerun.
type inserter struct {
	tx          *sql.Tx
	stmts       map[string]*sql.Stmt
	experiments map[int64]string // run id → experiment, for cited ids
	nextID      int64            // the id the next execution gets; 0 until read
	// full maps "<action key> <io digest>" to an execution recorded in
	// full, for the action keys in fetched (see prefetch).
	full    map[string]int64
	fetched map[string]bool
}

func newInserter(tx *sql.Tx) *inserter {
	return &inserter{tx: tx, stmts: map[string]*sql.Stmt{}, experiments: map[int64]string{},
		full: map[string]int64{}, fetched: map[string]bool{}}
}

// prefetchChunk bounds the action keys one prefetch query binds.
const prefetchChunk = 500

// prefetch reads the full records that cached executions of these action
// keys may share, in one query per prefetchChunk keys: a query per
// execution was most of the cost of recording a no-op rerun.
func (in *inserter) prefetch(ctx context.Context, actionKeys []string) error {
	var keys []any
	for _, k := range actionKeys {
		if !in.fetched[k] {
			in.fetched[k] = true
			keys = append(keys, k)
		}
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), prefetchChunk)]
		keys = keys[len(chunk):]
		rows, err := in.tx.QueryContext(ctx, `SELECT action_key, io_digest, MAX(id) FROM executions
			WHERE action_key IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) AND io_digest IS NOT NULL AND io_id = id
			GROUP BY action_key, io_digest`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var key, io string
			var id int64
			if err := rows.Scan(&key, &io, &id); err != nil {
				rows.Close()
				return err
			}
			in.full[key+" "+io] = id
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// exec runs query with args through its prepared statement.
func (in *inserter) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, ok := in.stmts[query]
	if !ok {
		var err error
		if st, err = in.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		in.stmts[query] = st
	}
	return st.ExecContext(ctx, args...)
}

// insertAll writes e with its params, edges and cited scalars. An
// execution served from the cache that repeats one already recorded in
// full (same action key and io digest) shares that one's params and
// edges (io_id) instead of copying them; its outputs' artifacts are
// described there too. io is ioDigest(e).
func (in *inserter) insertAll(ctx context.Context, e *Execution, io sql.NullString) (int64, error) {
	if !execStatuses[e.Status] {
		return 0, fmt.Errorf("status %q: want ok, cached, failed or skipped", e.Status)
	}
	if e.Status == "cached" {
		shared, err := in.recorded(ctx, e.ActionKey, io)
		if err != nil {
			return 0, err
		}
		if shared != 0 {
			id, err := in.insertExecution(ctx, e, shared, sql.NullString{})
			if err != nil {
				return 0, err
			}
			return id, in.insertCited(ctx, id, e)
		}
	}
	id, err := in.insertExecution(ctx, e, 0, io)
	if err != nil {
		return 0, err
	}
	if io.Valid {
		in.full[e.ActionKey+" "+io.String] = id
	}
	if err := in.insertParams(ctx, id, e.Params); err != nil {
		return 0, err
	}
	if err := in.insertEdges(ctx, id, "in", e.Inputs); err != nil {
		return 0, err
	}
	if err := in.insertEdges(ctx, id, "out", e.Outputs); err != nil {
		return 0, err
	}
	return id, in.insertCited(ctx, id, e)
}

// ioDigest hashes what an ok or cached execution's params and edges rows
// say; failed and skipped executions get none, so none is ever shared.
func ioDigest(e *Execution) sql.NullString {
	if e.Status != "ok" && e.Status != "cached" {
		return sql.NullString{}
	}
	var d [2 * len(ndarray.Digest{})]byte
	size := 0 // of the text, so that it is allocated once
	for name, v := range e.Params {
		size += len("param ") + len(name) + len(v) + 2
	}
	for _, edges := range [...][]Edge{e.Inputs, e.Outputs} {
		for _, g := range edges {
			size += len("out ") + len(g.Name) + len(d) + 2
		}
	}
	b := make([]byte, 0, size)
	line := func(kind, name string, value []byte) {
		b = append(append(append(append(append(append(b, kind...), ' '), name...), '='), value...), '\n')
	}
	for _, name := range slices.Sorted(maps.Keys(e.Params)) {
		line("param", name, []byte(e.Params[name]))
	}
	for _, g := range e.Inputs {
		hex.Encode(d[:], g.Digest[:])
		line("in", g.Name, d[:])
	}
	for _, g := range e.Outputs {
		hex.Encode(d[:], g.Digest[:])
		line("out", g.Name, d[:])
	}
	sum := sha256.Sum256(b)
	return sql.NullString{String: hex.EncodeToString(sum[:]), Valid: true}
}

// recorded returns the id of an execution recorded in full with this
// action key and io digest, or 0 if there is none.
func (in *inserter) recorded(ctx context.Context, key string, io sql.NullString) (int64, error) {
	if err := in.prefetch(ctx, []string{key}); err != nil { // a no-op if the batch prefetched it
		return 0, err
	}
	return in.full[key+" "+io.String], nil
}

// insertExecution writes the executions row of e, sharing the params and
// edges of execution shared, or its own (shared 0) described by io. Ids
// are assigned here so that a row can name itself in io_id as it is
// written: the write transaction holds the database's lock, so MAX(id)
// stays ours until it commits.
func (in *inserter) insertExecution(ctx context.Context, e *Execution, shared int64, io sql.NullString) (int64, error) {
	if in.nextID == 0 {
		if err := in.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM executions`).Scan(&in.nextID); err != nil {
			return 0, err
		}
	}
	id := in.nextID
	if shared == 0 {
		shared = id
	}
	_, err := in.exec(ctx, `INSERT INTO executions
		(id, io_id, io_digest, run_id, stage, cell, instance_id, kind, version, action_key, key_text, status, started, ended,
		 wall_s, cpu_s, peak_rss_bytes, host, executor, error, seed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, shared, io, e.RunID, e.Stage, e.Cell, e.InstanceID, e.Kind, e.Version, e.ActionKey, e.KeyText, e.Status,
		formatTime(e.Started), formatTime(e.Ended), e.Wall, e.CPU, e.PeakRSS,
		e.Host, e.Executor, e.Error, e.Seed)
	if err != nil {
		return 0, err
	}
	in.nextID++
	return id, nil
}

func (in *inserter) insertParams(ctx context.Context, id int64, params map[string]string) error {
	for name, v := range params {
		if _, err := in.exec(ctx, `INSERT INTO params (execution_id, name, value) VALUES (?, ?, ?)`, id, name, v); err != nil {
			return fmt.Errorf("param %s: %w", name, err)
		}
	}
	return nil
}

// insertEdges links the execution to its inputs or outputs and, for
// outputs, describes the artifact (once: a digest names the same content
// whoever made it).
func (in *inserter) insertEdges(ctx context.Context, id int64, direction string, edges []Edge) error {
	for _, g := range edges {
		if _, err := in.exec(ctx, `INSERT INTO edges (execution_id, direction, name, digest) VALUES (?, ?, ?, ?)`,
			id, direction, g.Name, g.Digest.String()); err != nil {
			return fmt.Errorf("%sput %s: %w", direction, g.Name, err)
		}
		if direction != "out" {
			continue
		}
		shape, err := json.Marshal(shapeOrEmpty(g.Shape))
		if err != nil {
			return err
		}
		if _, err := in.exec(ctx, `INSERT OR IGNORE INTO artifacts (digest, kind, dtype, shape, bytes) VALUES (?, ?, ?, ?, ?)`,
			g.Digest.String(), g.Kind, g.DType, string(shape), g.Bytes); err != nil {
			return fmt.Errorf("artifact of output %s: %w", g.Name, err)
		}
	}
	return nil
}

// shapeOrEmpty stores a 0-d shape as [] rather than null.
func shapeOrEmpty(shape []int) []int {
	if shape == nil {
		return []int{}
	}
	return shape
}

// insertCited records the execution's cited scalars (schemaV5): it
// becomes the latest execution of their source, and each value whose
// digest or source differs from what is stored replaces it. The ids are
// stable across reruns, so the latest run's value wins; a rerun served
// from the cache writes only the source's row.
func (in *inserter) insertCited(ctx context.Context, id int64, e *Execution) error {
	if len(e.Cite) == 0 {
		return nil
	}
	experiment, ok := in.experiments[e.RunID]
	if !ok {
		if err := in.tx.QueryRowContext(ctx, `SELECT experiment FROM runs WHERE id = ?`, e.RunID).Scan(&experiment); err != nil {
			return fmt.Errorf("run %d: %w", e.RunID, err)
		}
		in.experiments[e.RunID] = experiment
	}
	outputs := slices.Sorted(maps.Keys(e.Cite))
	source := citationSource(experiment, e.Stage, e.Cell, outputs)
	args := make([]any, 0, 4*len(outputs))
	for _, output := range outputs {
		g, ok := findEdge(e.Outputs, output)
		if !ok {
			return fmt.Errorf("cited output %q is not among the outputs", output)
		}
		if len(g.Shape) != 0 {
			return fmt.Errorf("cited output %q has shape %v; only 0-d outputs are cited", output, g.Shape)
		}
		var value sql.NullFloat64
		if v := e.Cite[output]; !math.IsNaN(v) {
			value = sql.NullFloat64{Float64: v, Valid: true}
		}
		args = append(args, CitationID(experiment, e.Stage, output, e.Cell), output, g.Digest.String(), value)
	}
	if _, err := in.exec(ctx, `INSERT INTO cited_sources (source, execution_id) VALUES (?, ?)
		ON CONFLICT (source) DO UPDATE SET execution_id = excluded.execution_id`, source, id); err != nil {
		return fmt.Errorf("citing outputs %v: %w", outputs, err)
	}
	// The source is bound once, as ?1; each value's four columns follow.
	values := strings.Repeat(`, (?1, ?, ?, ?, ?)`, len(outputs))[2:]
	_, err := in.exec(ctx, `INSERT INTO cited_values (source, id, output, digest, value) VALUES `+values+`
		ON CONFLICT (id) DO UPDATE SET source = excluded.source, output = excluded.output, digest = excluded.digest, value = excluded.value
		WHERE source IS NOT excluded.source OR digest IS NOT excluded.digest OR value IS NOT excluded.value`,
		append([]any{source}, args...)...)
	if err != nil {
		return fmt.Errorf("citing outputs %v: %w", outputs, err)
	}
	return nil
}

// citationSource names the cited outputs of a stage in a cell,
// "<experiment>:<stage>[@<cell>] <output>,<output>..." with the outputs
// sorted: the key of cited_sources. Each set of outputs is its own source,
// so a value keeps the execution that produced it when a later one of the
// same stage cites other outputs.
func citationSource(experiment, stage, cell string, outputs []string) string {
	s := experiment + ":" + stage
	if cell != "" {
		s += "@" + cell
	}
	return s + " " + strings.Join(outputs, ",")
}

func findEdge(edges []Edge, name string) (Edge, bool) {
	for _, g := range edges {
		if g.Name == name {
			return g, true
		}
	}
	return Edge{}, false
}

// Citation is a scalar a report cites, with the artifact it was read from.
type Citation struct {
	ID          string // see CitationID
	ExecutionID int64  // the latest execution that produced it
	Output      string
	Digest      ndarray.Digest
	Value       float64 // NaN is stored as NULL and read back as NaN
}

// CitationID is the stable id of a cited scalar,
// "<experiment>:<stage>.<output>@<cell>" (without "@<cell>" for a stage
// that depends on no axis). It is also a REF that why and diff accept.
func CitationID(experiment, stage, output, cell string) string {
	id := experiment + ":" + stage + "." + output
	if cell != "" {
		id += "@" + cell
	}
	return id
}

// Citations lists the cited scalars of an experiment in id order.
func (d *DB) Citations(ctx context.Context, experiment string) ([]Citation, error) {
	// ';' follows ':', so the range is exactly the ids "experiment:...".
	rows, err := d.db.QueryContext(ctx, `SELECT id, execution_id, output, digest, value FROM cited
		WHERE id >= ? AND id < ? ORDER BY id`, experiment+":", experiment+";")
	if err != nil {
		return nil, fmt.Errorf("citations of %s: %w", experiment, err)
	}
	defer rows.Close()
	var out []Citation
	for rows.Next() {
		var c Citation
		var hex string
		var value sql.NullFloat64
		if err := rows.Scan(&c.ID, &c.ExecutionID, &c.Output, &hex, &value); err != nil {
			return nil, fmt.Errorf("citations of %s: %w", experiment, err)
		}
		if c.Digest, err = ndarray.ParseDigest(hex); err != nil {
			return nil, fmt.Errorf("citation %s: %w", c.ID, err)
		}
		c.Value = math.NaN()
		if value.Valid {
			c.Value = value.Float64
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
