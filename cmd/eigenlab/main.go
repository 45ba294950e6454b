// Command eigenlab runs declarative experiments on the spectra of neural
// representations, caches every intermediate array by content and records
// where every result came from. See README.md and `eigenlab help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/runner"
)

// Exit codes (DESIGN.md): 0 ok, 1 a stage failed (or I/O, or provenance
// not recorded), 2 the input is invalid (experiment, command line, REF;
// or, by its memory estimates, too big for the memory budget), 3 an
// internal error: a bug in eigenlab, never to be mistaken for a user's.
//
// Go's runtime exits 2 itself on a fatal error it cannot recover from,
// notably "fatal error: out of memory"; the memory budget (run --mem,
// default the machine's available memory) exists to refuse the stages
// that would cause it before they run.
const (
	exitOK       = 0
	exitFailed   = 1
	exitInvalid  = 2
	exitInternal = 3
)

func main() {
	if err := checkAddressSpace(); err != nil {
		os.Exit(exitCode(err))
	}
	reexecForBLAS(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C cancels cleanly; restoring the default handler then
	// lets a second one kill at once.
	context.AfterFunc(ctx, stop)
	stopProfile := startProfile()
	code := exitCode(safely(func() error { return Run(ctx, os.Args[1:]) }))
	stopProfile()
	os.Exit(code)
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "eigenlab:", err)
	var inv *experiments.InvalidError
	var usage usageError
	var internal *internalError
	switch {
	case errors.As(err, &internal) || errors.Is(err, runner.ErrInternal):
		return exitInternal
	case errors.As(err, &inv) || errors.As(err, &usage) || errors.Is(err, runner.ErrOverBudget) || errors.Is(err, results.ErrBadRef):
		return exitInvalid
	}
	return exitFailed // a stage failed (runner.ErrStageFailed), or I/O
}

// internalError is a panic caught by safely: a bug in eigenlab.
type internalError struct {
	value any
	log   string // the file holding the stack, or "" if it could not be written
}

func (e *internalError) Error() string {
	where := "; the stack trace could not be saved"
	if e.log != "" {
		where = "; stack trace in " + e.log
	}
	return fmt.Sprintf("internal error (a bug in eigenlab, please report it): panic: %v%s", e.value, where)
}

// safely runs fn, turning a panic into an internalError whose stack is
// saved to a log file, so that a crash prints one line and exits 3, not
// 2 (invalid input) with a trace.
func safely(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &internalError{value: v, log: saveStack(v, debug.Stack())}
		}
	}()
	return fn()
}

// saveStack writes a panic's value and stack to a new file in the
// temporary directory and returns its path ("" on failure).
func saveStack(v any, stack []byte) string {
	f, err := os.CreateTemp("", "eigenlab-crash-*.log")
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "eigenlab %v\npanic: %v\n\n%s", os.Args, v, stack); err != nil {
		return ""
	}
	return f.Name()
}

// usageError is a bad command line: exit code 2, like an invalid experiment.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run executes one eigenlab command line (without the program name).
func Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		printHelp(os.Stdout)
		return usagef("no command given")
	}
	cmd, ok := commands[args[0]]
	if !ok {
		printHelp(os.Stderr)
		return usagef("unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:])
}
