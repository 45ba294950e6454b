package main

import (
	"context"
	"flag"
	"os"

	"github.com/eigenlab/eigenlab/results"
)

func init() {
	register("ls", "[EXP]", "runs and their results", cmdLs)
	register("why", "REF", "lineage of an artifact or a cited number", cmdWhy)
	register("diff", "REF REF", "which causes differ between two results", cmdDiff)
}

func cmdLs(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("ls takes at most one experiment name")
	}
	exp := ""
	if len(pos) == 1 {
		exp = pos[0]
	}
	r, done, err := st.openRead()
	if err != nil {
		return err
	}
	defer done()
	runs, err := r.DB.Runs(ctx, exp)
	if err != nil {
		return err
	}
	return r.DB.WriteRuns(ctx, os.Stdout, runs)
}

func cmdWhy(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("why", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("why takes exactly one REF")
	}
	if err := results.CheckRef(pos[0]); err != nil {
		return err
	}
	r, done, err := st.openRead()
	if err != nil {
		return err
	}
	defer done()
	lin, err := r.DB.LineageOf(ctx, pos[0])
	if err != nil {
		return err
	}
	return r.DB.WriteWhy(os.Stdout, lin)
}

func cmdDiff(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	var st stateFlags
	st.add(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("diff takes exactly two REFs")
	}
	for _, ref := range pos {
		if err := results.CheckRef(ref); err != nil {
			return err
		}
	}
	r, done, err := st.openRead()
	if err != nil {
		return err
	}
	defer done()
	a, err := r.DB.LineageOf(ctx, pos[0])
	if err != nil {
		return err
	}
	b, err := r.DB.LineageOf(ctx, pos[1])
	if err != nil {
		return err
	}
	return r.DB.WriteDiff(os.Stdout, r.DB.Diff(ctx, a, b))
}
