package results

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteRuns prints runs as a table: id, experiment, status, start time,
// counts of executions by status, and the code revision.
func (d *DB) WriteRuns(ctx context.Context, w io.Writer, runs []Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tEXPERIMENT\tSTATUS\tSTARTED\tSTAGES (ok/cached/failed/skipped)\tCODE")
	for _, r := range runs {
		counts, err := d.statusCounts(ctx, r.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d/%d/%d\t%s\n", r.ID, r.Experiment, r.Status,
			r.Started.Local().Format("2006-01-02 15:04:05"), counts["ok"], counts["cached"], counts["failed"], counts["skipped"],
			shortCode(r.Code))
	}
	return tw.Flush()
}

// statusCounts counts a run's executions by status.
func (d *DB) statusCounts(ctx context.Context, runID int64) (map[string]int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM executions WHERE run_id = ? GROUP BY status`, runID)
	if err != nil {
		return nil, fmt.Errorf("counting executions of run %d: %w", runID, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("counting executions of run %d: %w", runID, err)
		}
		counts[s] = n
	}
	return counts, rows.Err()
}

// shortCode is codeString with the revision and the executable's digest
// (see CodeVersion) each cut to 12 hex digits.
func shortCode(c Code) string {
	parts := strings.Split(c.Revision, "+")
	for i, p := range parts {
		digits, isBinary := strings.CutPrefix(p, binaryPrefix)
		if len(digits) > 12 {
			digits = digits[:12]
		}
		if isBinary {
			digits = binaryPrefix + digits
		}
		parts[i] = digits
	}
	c.Revision = strings.Join(parts, "+")
	return codeString(c)
}

// WriteWhy prints a lineage as an indented tree — for each execution its
// stage and cell, kind and version, params, seed, outputs and inputs, each
// input followed by the lineage of its producer — and then, for every run
// that computed part of it, the code version and environment.
func (d *DB) WriteWhy(out io.Writer, l *Lineage) error {
	w := bufio.NewWriter(out) // keeps the first write error for Flush
	var runs []Run
	writeLineage(w, l, "", map[*Lineage]bool{}, &runs)
	for _, r := range runs {
		fmt.Fprintf(w, "\nrun %d of %s, started %s on %s (pid %d), status %s\n", r.ID, r.Experiment,
			r.Started.Format(time.RFC3339), r.Host, r.PID, r.Status)
		fmt.Fprintf(w, "code: eigenlab %s revision %s\n", orNone(r.Code.Version), orNone(codeString(r.Code)))
		for _, k := range slices.Sorted(maps.Keys(r.Env)) {
			fmt.Fprintf(w, "env:  %-22s %s\n", k, r.Env[k])
		}
	}
	return w.Flush()
}

// writeLineage prints one node and its inputs, appending the runs it
// meets to runs. A node printed before is named again but not expanded.
func writeLineage(w io.Writer, l *Lineage, indent string, seen map[*Lineage]bool, runs *[]Run) {
	e := l.Exec
	fmt.Fprintf(w, "%s%s  (kind %s v%s, %s in run %d on %s, key %.12s", indent, e.Label(), e.Kind, e.Version, e.Status, e.RunID, e.Host, e.ActionKey)
	if l.Cached != nil {
		fmt.Fprintf(w, "; reused from the cache in run %d", l.Cached.RunID)
	}
	fmt.Fprintln(w, ")")
	if seen[l] {
		fmt.Fprintf(w, "%s    (shown above)\n", indent)
		return
	}
	seen[l] = true
	if !slices.ContainsFunc(*runs, func(r Run) bool { return r.ID == l.Run.ID }) {
		*runs = append(*runs, l.Run)
	}
	for _, name := range slices.Sorted(maps.Keys(e.Params)) {
		fmt.Fprintf(w, "%s    param  %s = %s\n", indent, name, e.Params[name])
	}
	if e.Seed != nil {
		fmt.Fprintf(w, "%s    seed   %d\n", indent, *e.Seed)
	}
	for _, o := range e.Outputs {
		fmt.Fprintf(w, "%s    output %s = %s %s%v\n", indent, o.Name, o.Digest.Short(), o.DType, o.Shape)
	}
	for _, in := range e.Inputs {
		sub := l.Inputs[in.Name]
		if sub == nil {
			fmt.Fprintf(w, "%s    input  %s = %s, no recorded producer\n", indent, in.Name, in.Digest.Short())
			continue
		}
		fmt.Fprintf(w, "%s    input  %s = %s, made by:\n", indent, in.Name, in.Digest.Short())
		writeLineage(w, sub, indent+"      ", seen, runs)
	}
}

// WriteDiff prints the differing causes, or says there are none.
func (d *DB) WriteDiff(w io.Writer, diffs []Difference) error {
	if len(diffs) == 0 {
		_, err := fmt.Fprintln(w, "no differences: same stages, versions, params, inputs, code and environment")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tCAUSE\tA\tB")
	for _, df := range diffs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", df.Stage, df.What, orNone(df.A), orNone(df.B))
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
