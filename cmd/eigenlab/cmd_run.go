package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/runner"
)

func init() {
	register("run", "EXP [--set k=v]... [-j N] [--mem SIZE] [--dry-run] [--force STAGE] [--keep-temp] [--executor local|slurm]",
		"run an experiment (a .yaml path or a shipped name)", cmdRun)
	register("plan", "EXP [--set k=v]...",
		"show which stages are cached and why each stale one is stale", cmdPlan)
}

// expFlags are the flags that select and modify an experiment.
type expFlags struct {
	stateFlags
	sets multiFlag
}

func (e *expFlags) add(fs *flag.FlagSet) {
	e.stateFlags.add(fs)
	fs.Var(&e.sets, "set", "override a param or matrix axis: k=v (repeatable)")
}

// load parses the one positional EXP argument into a plan expanded whole.
func (e *expFlags) load(pos []string) (*experiments.Plan, error) {
	return e.loadWith(pos, experiments.Parse)
}

// loadWith parses the one positional EXP argument with parse (Parse, or
// Stream for a plan that is only run).
func (e *expFlags) loadWith(pos []string, parse experiments.ParseFunc) (*experiments.Plan, error) {
	if len(pos) != 1 {
		return nil, usagef("want exactly one experiment (a .yaml path or one of: %s)", strings.Join(experiments.Shipped(), ", "))
	}
	return experiments.LoadWith(pos[0], e.sets, parse)
}

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var ef expFlags
	ef.add(fs)
	jobs := fs.Int("j", 0, "worker slots (default: number of CPUs)")
	mem := fs.String("mem", "", "memory budget of the stages running at once, e.g. 500M or 20G (default: the machine's available memory); "+
		"a stage estimated above it is refused before anything runs")
	dry := fs.Bool("dry-run", false, "show the plan, run nothing")
	executor := fs.String("executor", "local", "where stages run: local (this process) or slurm (job arrays; SLURM_CONF honoured)")
	partition := fs.String("partition", "", "with --executor slurm: the Slurm partition (default: the cluster's default)")
	pack := fs.Int("slurm-pack", runner.DefaultPack, "with --executor slurm: the most stages of equal resources one Slurm task runs, one after another (1: a task per stage, for long stages)")
	var force multiFlag
	fs.Var(&force, "force", "recompute this stage even if cached (repeatable)")
	keepTemp := fs.Bool("keep-temp", false, "keep the outputs of stages marked temp: true in the cache (by default they are removed once the stages reading them have their results)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *executor != "local" && *executor != "slurm" {
		return usagef("--executor %q: want local or slurm", *executor)
	}
	if *partition != "" && *executor != "slurm" {
		return usagef("--partition is for --executor slurm")
	}
	if *pack < 1 {
		return usagef("--slurm-pack %d: want at least 1", *pack)
	}
	if *executor != "slurm" && flagSet(fs, "slurm-pack") {
		return usagef("--slurm-pack is for --executor slurm")
	}
	budget, err := parseBudget(*mem)
	if err != nil {
		return err
	}
	parse := experiments.Stream // a sweep's memory bounded by its window
	if *dry {
		parse = experiments.Parse // printPlan lists every instance
	}
	plan, err := ef.loadWith(pos, parse)
	if err != nil {
		return err
	}
	if err := checkForce(plan, force); err != nil {
		return err
	}
	r, closeDB, err := ef.open()
	if err != nil {
		return err
	}
	defer closeDB()
	if *dry {
		return printPlan(ctx, os.Stdout, r, plan)
	}
	var exec runner.Executor = runner.Local{}
	if *executor == "slurm" {
		s := &runner.Slurm{Cache: r.Cache, Partition: *partition, StreamAbove: r.StreamAbove, Batch: *jobs, Pack: *pack}
		if err := s.Check(ctx); err != nil {
			return err
		}
		exec = s
	}
	sum, err := r.Run(ctx, plan, runner.Options{
		Jobs: *jobs, MemBudget: budget, Force: force, KeepTemp: *keepTemp, Executor: exec, Args: os.Args, Progress: progressFor(os.Stderr),
		KeepScalars: tableRows,
	})
	if sum != nil {
		printSummary(os.Stdout, plan, sum, ef.stateFlags)
		printScalars(os.Stdout, sum.Scalars(), sum.ScalarsLeftOut, pos[0])
	}
	return err
}

// parseBudget reads --mem: a positive size, or "" for the default (0).
func parseBudget(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := parseSize(s)
	if err != nil || b == 0 {
		return 0, usagef("--mem %q: want a positive size such as 500M or 20G", s)
	}
	return b, nil
}

func checkForce(p *experiments.Plan, force []string) error {
	for _, f := range force {
		if !slices.Contains(p.StageNames(), f) {
			return usagef("--force %q: no such stage in %s", f, p.Name)
		}
	}
	return nil
}

// progressFor picks a redrawn status line on a terminal, log lines otherwise.
func progressFor(w *os.File) runner.Progress {
	if info, err := w.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		return &runner.TTYProgress{W: w}
	}
	return &runner.LogProgress{W: w}
}

func printSummary(w io.Writer, p *experiments.Plan, s *runner.Summary, st stateFlags) {
	fmt.Fprintf(w, "run %d of %s: %d executed, %d cached, %d failed, %d skipped in %s\n",
		s.RunID, p.Name, s.Executed, s.Cached, s.Failed, s.Skip, s.Wall.Round(1e6))
	if s.Recomputed > 0 {
		fmt.Fprintf(w, "recomputed because a reader found their outputs missing (temp, evicted or corrupt): %d, recorded as executions of this run\n", s.Recomputed)
	}
	if s.TempRemoved > 0 {
		fmt.Fprintf(w, "temp stages' outputs removed once consumed: %d (%s); --keep-temp keeps them\n", s.TempRemoved, cache.HumanBytes(s.TempBytes))
	}
	fmt.Fprintf(w, "outputs: %s   provenance: %s\n", st.cacheDir, st.dbPath)
}

func cmdPlan(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var ef expFlags
	ef.add(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	plan, err := ef.load(pos)
	if err != nil {
		return err
	}
	r, closeDB, err := ef.openRead()
	if err != nil {
		return err
	}
	defer closeDB()
	return printPlan(ctx, os.Stdout, r, plan)
}

func printPlan(ctx context.Context, w io.Writer, r *runner.Runner, p *experiments.Plan) error {
	entries, err := r.Explain(ctx, p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d cells, %d stage instances\n", p.Name, max(len(p.Cells), 1), len(entries))
	cached, regenerate := 0, 0
	for _, e := range entries {
		at := e.Stage
		if e.Cell != "" {
			at += "@" + e.Cell
		}
		switch {
		case e.Regenerate:
			cached++
			regenerate++
			fmt.Fprintf(w, "  cached  %s: its outputs were removed once read (temp: true); a stale reader recomputes them\n", at)
		case e.Cached:
			cached++
			fmt.Fprintf(w, "  cached  %s\n", at)
		default:
			fmt.Fprintf(w, "  stale   %s: %s\n", at, strings.Join(e.Reasons, "; "))
		}
	}
	fmt.Fprintf(w, "%d cached, %d to run", cached, len(entries)-cached)
	if regenerate > 0 {
		fmt.Fprintf(w, ", and %d cached temp stages to recompute for their readers", regenerate)
	}
	fmt.Fprintln(w)
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
