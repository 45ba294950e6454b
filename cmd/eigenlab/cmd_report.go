package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results/report"
	"github.com/eigenlab/eigenlab/runner"
	"github.com/eigenlab/eigenlab/stages"
)

func init() {
	register("report", "EXP -o DIR [--set k=v]...",
		"static HTML report: figures, tables, findings, cited numbers", cmdReport)
}

// reportHelp documents the report: section (README "Reports" says the same).
const reportHelp = `usage: eigenlab report EXP -o DIR [--set k=v]...

Writes DIR/index.html (no JavaScript, nothing loaded from outside DIR), one
SVG per figure (DIR/fig-N.svg), and every cited number as DIR/cited.csv and
DIR/cited.tex. The page is built from the latest ok or cached result of each
cell of EXP (with the same --set as the run, the same cells); nothing is
recomputed. Cells without a result are shown as missing and counted; a result
whose action key is not the one the YAML now gives (other params or inputs, an
edited input file, a newer stage version: the rule run and plan use) is left
out as stale and named with the reason.

The experiment's report: section is a list of entries:

  - figure:                     # kind line (default) or scatter
      title: TEXT               # optional, like caption, xlabel and ylabel
      x: AXIS                   # a matrix axis
      y: STAGE.OUTPUT           # a 0-d output: one point per cell
      series: [AXIS, ...]       # one line per combination
      band: [AXIS, ...]         # averaged over: mean and 95% t interval
                                # (the caption says over how many values)
      logx: BOOL                # and logy; default false
      caption: TEXT
      xlabel: TEXT              # axis labels; default the x axis and the
      ylabel: TEXT              # output (STAGE.OUTPUT); any kind of figure
  - figure:
      kind: spectrum            # a 1-d output against rank 1..K, log-log;
                                # x label "rank" ("rank (bin centre)" for a column)
      y: STAGE.OUTPUT           # or STAGE.OUTPUT[COL]: column COL of a 2-d
                                # output whose column 0 holds x
      series: [AXIS, ...]       # and band, logx, logy (default true)
      null: STAGE.OUTPUT[COL]   # optional dashed null curve per series
      ci_lo: STAGE.OUTPUT[COL]  # optional interval band (with ci_hi)
      ci_hi: STAGE.OUTPUT[COL]
  - figure: {kind: heatmap, rows: AXIS, cols: AXIS, value: STAGE.OUTPUT}
  - figure: {kind: matrix, value: STAGE.OUTPUT@AXIS=VALUE}   # one 2-d output
  - table:                      # every number is a cited number
      rows: [AXIS, ...]
      cols: [AXIS, ...]
      value: STAGE.OUTPUT       # or a list: a column per output
  - finding:                    # "L exceeded R by d (95% CI [a, b], n = N …)", or "not resolved"
      left: STAGE.OUTPUT        # 0-d
      right: STAGE.OUTPUT       # or a number
      over: [AXIS, ...]         # the cells compared
      left_label: TEXT          # default: the reference; and right_label
  - text: TEXT                  # a paragraph

Any STAGE.OUTPUT may end in @AXIS=VALUE,... to read it in the cell with those
values (e.g. left: spec.alpha@view=channel, right: spec.alpha@view=full). Every
other axis the referenced stages depend on must be placed (x, series or band;
rows or cols; over). Unknown keys, stages, outputs and axes are errors with
file:line:col before anything runs; a VALUE that a --set left out of its axis
is not: the entry is drawn as a note naming the cells it needs.

flags:
`

func cmdReport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var ef expFlags
	ef.add(fs)
	out := fs.String("o", "", "output directory")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), reportHelp)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("report: want -o DIR")
	}
	plan, err := ef.load(pos)
	if err != nil {
		return err
	}
	r, done, err := ef.openRead()
	if err != nil {
		return err
	}
	defer done()
	load := func(d ndarray.Digest) (stages.Artifact, error) { return runner.LoadArtifact(r.Cache, d) }
	page, err := report.Build(ctx, report.Source{DB: r.DB, Load: load}, plan)
	if err != nil {
		return err
	}
	if err := report.Write(*out, page); err != nil {
		return err
	}
	figures := 0
	for _, b := range page.Blocks {
		if b.Figure != nil {
			figures++
		}
	}
	fmt.Printf("wrote %s: %d entries (%d figures), %d cited numbers; %d of %d cells without a result\n",
		filepath.Join(*out, "index.html"), len(page.Blocks), figures, len(page.Cited), len(page.Missing), page.Cells)
	for _, b := range page.Blocks {
		if b.LeftOut != "" {
			fmt.Printf("left out: %s\n", b.LeftOut)
		}
	}
	if len(page.Stale) > 0 {
		fmt.Printf("left out %d stale results (run the experiment to update them):\n", len(page.Stale))
	}
	for _, st := range page.Stale {
		fmt.Printf("stale   %s: %s\n", st.Label, strings.Join(st.Reasons, "; "))
	}
	return nil
}

// nameRe is the form of an experiment name.
var nameRe = regexp.MustCompile(`^[a-z0-9-]+$`)

// exportCited writes every cited number of an experiment (a YAML path, a
// shipped name, or the name of an experiment recorded in the database) to
// a .csv or .tex file, replacing an existing one only if replace is set.
func exportCited(ctx context.Context, st stateFlags, exp, path string, replace bool) error {
	name := exp
	if plan, err := experiments.Load(exp, nil); err == nil {
		name = plan.Name
	} else if !nameRe.MatchString(exp) {
		return err
	}
	r, done, err := st.openRead()
	if err != nil {
		return err
	}
	defer done()
	cited, err := report.Citations(ctx, r.DB, name)
	if err != nil {
		return err
	}
	if len(cited) == 0 {
		return fmt.Errorf("export --cited %s: no cited numbers of experiment %q in the database; run it first", exp, name)
	}
	if err := report.ExportCited(path, cited, replace); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d cited numbers of %s)\n", path, len(cited), name)
	return nil
}
