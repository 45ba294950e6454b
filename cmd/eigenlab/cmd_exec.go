package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/eigenlab/eigenlab/runner"
)

// exec-stage is internal: the command a Slurm job runs (runner.Slurm).
// It has no usage line, so the main help does not list it; README's
// "Running on Slurm" documents it.
func init() {
	register("exec-stage", "", "", cmdExecStage)
}

// cmdExecStage runs the stages of the job files the Slurm executor wrote,
// one after another (runner.ExecStages), and writes each one's result
// file. A failure of a stage is in its result, which the runner reports
// with the job id; the task goes on to its next file and exits 1 at the
// end (Slurm state FAILED), without repeating the error in its log.
func cmdExecStage(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("exec-stage", flag.ContinueOnError)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("exec-stage: want job files (written by `eigenlab run --executor slurm`)")
	}
	// scancel sends SIGTERM once, then SIGKILL after the cluster's
	// KillWait (30 s by default). A stage that does not watch ctx would run
	// on until then; two seconds after the signal the job exits instead
	// (its outputs appear only by atomic renames; leftovers are temp files).
	context.AfterFunc(ctx, func() { time.AfterFunc(2*time.Second, func() { os.Exit(exitFailed) }) })
	if runner.ExecStages(ctx, pos, os.Stderr) > 0 {
		os.Exit(exitFailed)
	}
	return nil
}
