package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/runner"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

type command struct {
	usage string
	help  string
	run   func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

func register(name, usage, help string, run func(context.Context, []string) error) {
	commands[name] = command{usage: usage, help: help, run: run}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: eigenlab COMMAND [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if commands[n].help == "" {
			continue // internal (exec-stage)
		}
		fmt.Fprintf(w, "  %-8s %-44s %s\n", n, commands[n].usage, commands[n].help)
	}
	fmt.Fprintln(w, "\nState lives in ./.eigenlab/ (cache/, provenance.db) unless --cache/--db or EIGENLAB_CACHE/EIGENLAB_DB say otherwise.")
	fmt.Fprintln(w, "A write waits up to EIGENLAB_DB_TIMEOUT (default 1m) for a provenance database another process holds, then fails.")
	fmt.Fprintln(w, "EIGENLAB_CPUPROFILE=FILE and EIGENLAB_MEMPROFILE=FILE write a CPU and an allocation profile of the command (go tool pprof FILE).")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 failed (a stage, I/O, provenance), 2 invalid input, 3 internal error (a bug in eigenlab).")
}

// stateFlags are the flags every command that touches state shares.
type stateFlags struct{ cacheDir, dbPath string }

func (s *stateFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&s.cacheDir, "cache", envOr("EIGENLAB_CACHE", filepath.Join(".eigenlab", "cache")), "cache directory")
	fs.StringVar(&s.dbPath, "db", envOr("EIGENLAB_DB", filepath.Join(".eigenlab", "provenance.db")), "provenance database")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// open opens the cache and the provenance database for a command that
// writes (run, verify, gc).
func (s *stateFlags) open() (*runner.Runner, func(), error) {
	return s.openWith(false)
}

// openRead opens the cache and the provenance database read-only, for a
// command that only reads (ls, why, diff, export, report, plan): it takes
// no write lock, so it works while a run writes. A database that does not
// exist yet reads as empty.
func (s *stateFlags) openRead() (*runner.Runner, func(), error) {
	return s.openWith(true)
}

func (s *stateFlags) openWith(readOnly bool) (*runner.Runner, func(), error) {
	c, err := cache.Open(s.cacheDir)
	if err != nil {
		return nil, nil, err
	}
	timeout, err := dbTimeout()
	if err != nil {
		return nil, nil, err
	}
	db, err := results.OpenWith(s.dbPath, results.Options{ReadOnly: readOnly, Timeout: timeout})
	if readOnly && errors.Is(err, fs.ErrNotExist) {
		db, err = results.OpenMemory() // nothing recorded yet
	}
	if err != nil {
		return nil, nil, err
	}
	return &runner.Runner{Cache: c, DB: db, Backend: linalg.Backend()}, func() { db.Close() }, nil
}

// dbTimeout reads EIGENLAB_DB_TIMEOUT, how long a write waits for a busy
// provenance database before the command fails (0: results.DefaultTimeout).
func dbTimeout() (time.Duration, error) {
	v := os.Getenv("EIGENLAB_DB_TIMEOUT")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("EIGENLAB_DB_TIMEOUT=%q: want a positive duration such as 30s or 5m", v)
	}
	return d, nil
}

// parse parses flags, turning flag errors into usage errors (exit 2).
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	return nil
}

// multiFlag collects a repeatable flag such as --set k=v.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
