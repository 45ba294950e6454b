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
	"syscall"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/runner"
)

// Exit codes (DESIGN.md): 0 ok, 1 a stage failed, 2 the experiment is
// invalid (or, by its memory estimates, too big for the memory budget).
const (
	exitOK      = 0
	exitFailed  = 1
	exitInvalid = 2
)

func main() {
	if err := checkAddressSpace(); err != nil {
		os.Exit(exitCode(err))
	}
	reexecForBLAS()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C cancels cleanly; restoring the default handler then
	// lets a second one kill at once.
	context.AfterFunc(ctx, stop)
	os.Exit(exitCode(Run(ctx, os.Args[1:])))
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(os.Stderr, "eigenlab:", err)
	var inv *experiments.InvalidError
	var usage usageError
	if errors.As(err, &inv) || errors.As(err, &usage) || errors.Is(err, runner.ErrOverBudget) {
		return exitInvalid
	}
	return exitFailed // a stage failed (runner.ErrStageFailed), or I/O
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
