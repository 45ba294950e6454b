package runner

import (
	"context"
	"fmt"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// Job is one stage execution handed to an executor.
type Job struct {
	Stage  stages.Stage
	Inputs stages.Inputs
	Params stages.Params
	// Scratch is where the stage writes outputs too large for memory
	// (stages.Stage.Run); the scheduler adopts them and removes the rest.
	Scratch *ndarray.Scratch
	// Checkpoints, when not nil, keeps the states of a stages.Resumable
	// stage (the runner's, over its cache); an executor that runs stages
	// in this process passes it to RunResumable, others may ignore it
	// (the stage then trains from the start, with the same outputs).
	Checkpoints stages.Checkpointer
	// Label names the stage instance (STAGE or STAGE@CELL), for messages
	// and a cluster job's name.
	Label string
}

// Usage is what an execution cost.
type Usage struct {
	Wall, CPU time.Duration
	// PeakRSS is the process's peak resident set size when the stage
	// ended. With the local executor and -j > 1 it is shared by the
	// stages running at the same time: an upper bound, not a per-stage
	// figure.
	PeakRSS int64
	// Host is the machine the stage ran on when that is not this one (a
	// cluster node, with its job id); "" means this machine.
	Host string
}

// Executor runs jobs. The local executor runs them in this process; the
// Slurm executor runs each as a cluster job (see Slurm). The scheduler
// knows nothing of how.
type Executor interface {
	Name() string
	Execute(ctx context.Context, job Job) (stages.Outputs, Usage, error)
}

// remote is implemented by executors whose jobs run in another process
// that reads its inputs from the shared cache itself: the scheduler then
// hands them array inputs as ArrayFiles (checked by one streaming pass,
// never decoded), since only their digests cross over.
type remote interface{ remote() bool }

// Local runs stages in the current process.
type Local struct{}

// Name implements Executor.
func (Local) Name() string { return "local" }

// Execute implements Executor. A panic inside a stage is turned into an
// error carrying its stack, so one broken stage cannot take down a sweep.
func (Local) Execute(ctx context.Context, job Job) (out stages.Outputs, u Usage, err error) {
	start, cpu0 := time.Now(), cpuTime()
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
		u = Usage{Wall: time.Since(start), CPU: cpuTime() - cpu0, PeakRSS: peakRSS()}
	}()
	if rs, ok := job.Stage.(stages.Resumable); ok && job.Checkpoints != nil {
		out, err = rs.RunResumable(ctx, job.Scratch, job.Inputs, job.Params, job.Checkpoints)
	} else {
		out, err = job.Stage.Run(ctx, job.Scratch, job.Inputs, job.Params)
	}
	return out, u, err
}

// cpuTime is the process's user+system time. Concurrent stages share it,
// so per-stage CPU is exact only at -j 1.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}
