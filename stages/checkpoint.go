package stages

import (
	"context"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Checkpointer keeps the intermediate states of one resumable execution
// (a Resumable stage's run) across processes: the state after each step,
// by step number. Whoever runs the stage provides it (the runner keeps the
// states in its content-addressed cache, under a key made of the stage's
// ResumeParams and inputs, so a state is only ever offered to an execution
// it is a prefix of). Load and Save are called from the stage's goroutine.
type Checkpointer interface {
	// Load returns the state saved after step, or nil when there is none
	// (missing or unreadable states are misses: the stage recomputes).
	Load(step int) (Artifact, error)
	// Save stores state as the one after step.
	Save(step int, state Artifact) error
}

// Resumable is implemented by stages whose execution is a sequence of
// steps where each step depends only on the state the previous one left
// (training: epochs). Given a Checkpointer, RunResumable starts from the
// latest saved state within its steps and saves the state after each
// step, so a longer run continues a shorter one and a killed run its last
// finished step; its outputs are byte-identical to Run's, which is
// RunResumable without a Checkpointer.
type Resumable interface {
	Stage
	// ResumeParams returns p without the params that only say how many
	// steps to run: executions with equal ResumeParams (and inputs) pass
	// through the same states, so they may share checkpoints.
	ResumeParams(p Params) Params
	// RunResumable is Run with checkpoints kept in cp.
	RunResumable(ctx context.Context, scratch *ndarray.Scratch, in Inputs, p Params, cp Checkpointer) (Outputs, error)
}
