package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// hexRe matches a REF that is a digest or a prefix of one.
var hexRe = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// minPrefix is the fewest hex digits a digest REF may have: shorter
// prefixes collide too often to name anything.
const minPrefix = 6

// Resolve finds the executions a REF names:
//   - a digest prefix (at least 6 hex digits): the latest ok or cached
//     execution that produced that artifact;
//   - a cited id, "EXP:STAGE.OUTPUT@CELL": the execution whose value the
//     cited table holds;
//   - EXP:STAGE[.OUTPUT][@axis=value,...]: the ok or cached executions of
//     the stage in the latest run of EXP that has any, one per cell, the
//     cells filtered by the given axis values (numbers compare as numbers,
//     so alpha=1.0 finds alpha=1; an axis the stage does not depend on is
//     ignored, since every cell shares the stage).
//
// A REF that names nothing is an error that lists what there is to name.
func (d *DB) Resolve(ctx context.Context, ref string) ([]*Execution, error) {
	if hexRe.MatchString(ref) {
		digest, err := d.matchDigest(ctx, strings.ToLower(ref))
		if err != nil {
			return nil, err
		}
		e, err := d.latestProducer(ctx, digest)
		if err != nil {
			return nil, err
		}
		return []*Execution{e}, nil
	}
	var execID int64
	err := d.db.QueryRowContext(ctx, `SELECT execution_id FROM cited WHERE id = ?`, ref).Scan(&execID)
	switch {
	case err == nil:
		return d.query(ctx, `WHERE e.id = ?`, execID)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("REF %s: %w", ref, err)
	}
	r, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	return d.resolveStage(ctx, r)
}

// ResolveOutputs finds the artifacts a REF names: the one output it names
// (a digest or STAGE.OUTPUT), else every output of the stage. A REF that
// matches several cells is an error listing them.
func (d *DB) ResolveOutputs(ctx context.Context, ref string) ([]Edge, error) {
	e, output, err := d.resolveOne(ctx, ref)
	if err != nil {
		return nil, err
	}
	if output == "" {
		return e.Outputs, nil
	}
	g, _ := findEdge(e.Outputs, output)
	return []Edge{g}, nil
}

// resolveOne resolves a REF that must name one execution, and the output
// it names ("" if none), which the execution is checked to have.
func (d *DB) resolveOne(ctx context.Context, ref string) (*Execution, string, error) {
	execs, err := d.Resolve(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	e, err := oneExecution(ref, execs)
	if err != nil {
		return nil, "", err
	}
	output := ""
	if hexRe.MatchString(ref) {
		for _, o := range e.Outputs {
			if strings.HasPrefix(o.Digest.String(), strings.ToLower(ref)) {
				output = o.Name
			}
		}
	} else if r, err := parseRef(ref); err == nil {
		output = r.output
	}
	if _, ok := findEdge(e.Outputs, output); output != "" && !ok {
		var names []string
		for _, o := range e.Outputs {
			names = append(names, o.Name)
		}
		return nil, "", fmt.Errorf("%s: stage %q has no output %q; it has %s", ref, e.Stage, output, strings.Join(names, ", "))
	}
	return e, output, nil
}

// oneExecution insists that a REF named one execution, listing the cells if not.
func oneExecution(ref string, execs []*Execution) (*Execution, error) {
	if len(execs) == 1 {
		return execs[0], nil
	}
	return nil, fmt.Errorf("%s matches %d cells (%s); add @axis=value to pick one", ref, len(execs), cellList(execs))
}

// matchDigest expands a digest prefix to the one artifact it names.
func (d *DB) matchDigest(ctx context.Context, prefix string) (string, error) {
	if len(prefix) < minPrefix || len(prefix) > 64 {
		return "", fmt.Errorf("%w: digest prefix %s: want %d to 64 hex digits", ErrBadRef, prefix, minPrefix)
	}
	// 'g' follows every hex digit: the range holds exactly the digests
	// with this prefix, read from the primary key.
	const show = 10
	rows, err := d.db.QueryContext(ctx, `SELECT digest FROM artifacts WHERE digest >= ? AND digest < ? ORDER BY digest LIMIT ?`,
		prefix, prefix+"g", show+1)
	if err != nil {
		return "", fmt.Errorf("digest prefix %s: %w", prefix, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", fmt.Errorf("digest prefix %s: %w", prefix, err)
		}
		found = append(found, s)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("digest prefix %s: %w", prefix, err)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no artifact with digest %s… in the provenance database", prefix)
	case 1:
		return found[0], nil
	}
	list := make([]string, 0, show)
	for _, s := range found[:min(len(found), show)] {
		list = append(list, s[:len(prefix)+4]+"…")
	}
	more := ""
	if len(found) > show {
		more = ", …"
	}
	return "", fmt.Errorf("digest prefix %s is ambiguous: %s%s; give more digits", prefix, strings.Join(list, ", "), more)
}

// producerOf returns the latest ok or cached execution recorded before
// the execution with id before that produced the artifact with this
// (full hex) digest, or nil if there is none.
func (d *DB) producerOf(ctx context.Context, digest string, before int64) (*Execution, error) {
	e, err := d.queryOne(ctx, `JOIN edges g ON g.execution_id = e.io_id
		WHERE g.digest = ? AND g.direction = 'out' AND e.status IN ('ok', 'cached') AND e.id < ?
		ORDER BY e.id DESC`, digest, before)
	if err != nil {
		return nil, fmt.Errorf("producer of %s: %w", digest[:min(len(digest), 12)], err)
	}
	return e, nil
}

// latestProducer is the latest ok or cached execution that produced the
// artifact with this (full hex) digest; that there is none is an error.
func (d *DB) latestProducer(ctx context.Context, digest string) (*Execution, error) {
	e, err := d.producerOf(ctx, digest, math.MaxInt64)
	if err == nil && e == nil {
		err = fmt.Errorf("artifact %s has no recorded ok or cached producer", digest[:12])
	}
	return e, err
}

// ErrBadRef is wrapped by the error for a REF that is malformed (not one
// that is well formed but names nothing): invalid input.
var ErrBadRef = errors.New("malformed REF")

// CheckRef checks a REF's form without reading the database, so that a
// malformed one is reported as such before anything is opened.
func CheckRef(s string) error {
	if hexRe.MatchString(s) {
		if len(s) < minPrefix || len(s) > 64 {
			return fmt.Errorf("%w: digest prefix %s: want %d to 64 hex digits", ErrBadRef, s, minPrefix)
		}
		return nil
	}
	_, err := parseRef(s)
	return err
}

// ref is a parsed EXP:STAGE[.OUTPUT][@axis=value,...].
type ref struct {
	text, exp, stage, output string
	filter                   map[string]string
}

func parseRef(s string) (ref, error) {
	r := ref{text: s, filter: map[string]string{}}
	exp, rest, ok := strings.Cut(s, ":")
	if !ok || exp == "" || rest == "" {
		return r, fmt.Errorf("%w %q: want a digest prefix (%d+ hex digits), a cited id or EXP:STAGE[.OUTPUT][@axis=value,...]", ErrBadRef, s, minPrefix)
	}
	target, cell, hasCell := strings.Cut(rest, "@")
	r.exp = exp
	r.stage, r.output, _ = strings.Cut(target, ".")
	if r.stage == "" || hasCell && cell == "" {
		return r, fmt.Errorf("%w %q: want EXP:STAGE[.OUTPUT][@axis=value,...]", ErrBadRef, s)
	}
	if hasCell {
		for _, kv := range strings.Split(cell, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return r, fmt.Errorf("%w %q: cell %q: want axis=value[,axis=value...]", ErrBadRef, s, cell)
			}
			r.filter[k] = v
		}
	}
	return r, nil
}

// parseCell splits a recorded cell, "alpha=1,seed=0", into its axis values.
func parseCell(cell string) map[string]string {
	axes := map[string]string{}
	for _, kv := range strings.Split(cell, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			axes[k] = v
		}
	}
	return axes
}

// cellMatches reports whether a recorded cell agrees with every filter
// value on the axes it has.
func cellMatches(cell string, filter map[string]string) bool {
	have := parseCell(cell)
	for k, v := range filter {
		if got, ok := have[k]; ok && !sameValue(got, v) {
			return false
		}
	}
	return true
}

// sameValue compares axis values as numbers when both are numbers, so
// alpha=1.0 finds the cell recorded as alpha=1.
func sameValue(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		return x == y
	}
	return a == b
}
