package results

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteRuns prints runs as a table, with each run's stage counts.
func (d *DB) WriteRuns(ctx context.Context, w io.Writer, runs []Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tEXPERIMENT\tSTATUS\tSTARTED\tSTAGES (ok/cached/failed/skipped)\tCODE")
	for _, r := range runs {
		counts := map[string]int{}
		rows, err := d.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM executions WHERE run_id = ? GROUP BY status`, r.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s string
			var n int
			rows.Scan(&s, &n)
			counts[s] = n
		}
		rows.Close()
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d/%d/%d\t%s\n", r.ID, r.Experiment, r.Status,
			r.Started.Local().Format("2006-01-02 15:04:05"), counts["ok"], counts["cached"], counts["failed"], counts["skipped"],
			short(codeString(r.Code)))
	}
	return tw.Flush()
}

func short(s string) string {
	if len(s) > 12 && !strings.Contains(s[:12], " ") {
		return s[:12] + s[strings.Index(s+" ", " "):]
	}
	return s
}

// WriteWhy prints a lineage as an indented tree: for each execution its
// stage, cell, params, seed, outputs, inputs and, once, the code version
// and environment of its run.
func (d *DB) WriteWhy(w io.Writer, l *Lineage) error {
	writeLineage(w, l, "", map[int64]bool{})
	fmt.Fprintf(w, "\ncode: eigenlab %s revision %s\n", l.Run.Code.Version, codeString(l.Run.Code))
	for _, k := range sortedKeys(l.Run.Env) {
		fmt.Fprintf(w, "env:  %-22s %s\n", k, l.Run.Env[k])
	}
	return nil
}

func writeLineage(w io.Writer, l *Lineage, indent string, seen map[int64]bool) {
	e := l.Exec
	fmt.Fprintf(w, "%s%s  (kind %s v%s, %s in run %d on %s, key %s)\n", indent, e.Label(), e.Kind, e.Version, e.Status, e.RunID, e.Host, e.ActionKey[:12])
	if seen[e.ID] {
		return
	}
	seen[e.ID] = true
	for _, name := range sortedKeys(e.Params) {
		fmt.Fprintf(w, "%s    param  %s = %s\n", indent, name, e.Params[name])
	}
	if e.Seed != nil {
		fmt.Fprintf(w, "%s    seed   %d\n", indent, *e.Seed)
	}
	for _, o := range e.Outputs {
		fmt.Fprintf(w, "%s    output %s = %s %s%v\n", indent, o.Name, o.Digest.Short(), o.DType, o.Shape)
	}
	for _, in := range e.Inputs {
		fmt.Fprintf(w, "%s    input  %s = %s, made by:\n", indent, in.Name, in.Digest.Short())
		if sub := l.Inputs[in.Name]; sub != nil {
			writeLineage(w, sub, indent+"      ", seen)
		}
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
