package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/eigenlab/eigenlab/runner"
)

// tableRows is the most cells printScalars shows per stage
// (runner.Options.KeepScalars): a sweep of 50,000 cells would print
// 50,000 lines. Every value stays in the provenance database, and
// `eigenlab export --cited` writes them all.
const tableRows = 200

// printScalars prints one table per stage: a row per cell in rows, a
// column per scalar output, and how many more cells leftOut says the run
// left out, with how to get them all. exp names the experiment as the
// user did.
func printScalars(out io.Writer, rows []runner.ScalarRow, leftOut func(stage string) int, exp string) {
	w := bufio.NewWriter(out) // tabwriter writes a cell at a time
	defer w.Flush()
	byStage := map[string][]runner.ScalarRow{}
	var order []string
	for _, r := range rows {
		if byStage[r.Stage] == nil {
			order = append(order, r.Stage)
		}
		byStage[r.Stage] = append(byStage[r.Stage], r)
	}
	for _, stage := range order {
		cols := map[string]bool{}
		for _, r := range byStage[stage] {
			for k := range r.Values {
				cols[k] = true
			}
		}
		names := make([]string, 0, len(cols))
		for k := range cols {
			names = append(names, k)
		}
		sort.Strings(names)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\t%s\t\n", stage, strings.Join(names, "\t"))
		for _, r := range byStage[stage] {
			vals := make([]string, len(names))
			for i, k := range names {
				vals[i] = "-" // this instance's params leave the output out
				if v, ok := r.Values[k]; ok {
					vals[i] = fmt.Sprintf("%.6g", v)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t\n", r.Cell, strings.Join(vals, "\t"))
		}
		tw.Flush()
		if more := leftOut(stage); more > 0 {
			fmt.Fprintf(w, "  ... and %d more cells of %s (every value: eigenlab export --cited %s -o values.csv)\n", more, stage, exp)
		}
	}
}
