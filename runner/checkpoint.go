package runner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/stages"
)

// checkpoints is the stages.Checkpointer the runner gives a Resumable
// stage (train). The state after step k lives in the cache as an action
// record with one output, "state", under the key of the lines
// "checkpoint <resume key>" and "step <k>", where the resume key is the
// action key (action.Key) of the stage's ResumeParams and inputs: the
// stage's action without the params that only say how many steps to run.
// Two executions share states exactly when their resume keys are equal,
// and the stage guarantees that equal resume keys pass through equal
// states, so a state is only offered to an execution it is a prefix of:
// extending epochs 10 → 20 resumes from 10 and a killed run from its last
// saved step, with the bytes of one straight run.
//
// Disk: each execution keeps only the last state it saved (the previous
// one is deleted when a new one is durable), so a finished training leaves
// one state (weights and optimiser moments, 2–4× the model) per length it
// was run to, and a killed one its last finished step. The runner holds
// the cache lock of the resume key while the stage runs, so executions
// that share states (a sweep over epochs, or two processes) run one after
// the other and the later one resumes from the earlier's states.
type checkpoints struct {
	c      *cache.Cache
	key    cache.ActionKey
	noLoad bool // --force: recompute from the start, still saving states
	last   int  // the step this execution saved last (0: none)
}

// newCheckpoints returns the checkpoints of n's execution and takes the
// lock of their resume key; the caller releases it with unlock.
func (s *scheduler) newCheckpoints(ctx context.Context, n *node, st stages.Resumable) (cp *checkpoints, unlock func(), err error) {
	k, _, err := action.Key(st, st.ResumeParams(n.inst.Params), n.inputs)
	if err != nil {
		return nil, nil, err
	}
	var b cache.KeyBuilder
	b.Add("resume", k.String())
	cp = &checkpoints{c: s.r.Cache, key: b.Key(), noLoad: s.force[n.inst.Name]}
	if unlock, err = s.r.Cache.Lock(ctx, cp.key); err != nil {
		return nil, nil, err
	}
	return cp, unlock, nil
}

func (cp *checkpoints) stepKey(step int) cache.ActionKey {
	var b cache.KeyBuilder
	b.Add("checkpoint", cp.key.String())
	b.Add("step", strconv.Itoa(step))
	return b.Key()
}

// Load implements stages.Checkpointer: a missing, incomplete or corrupt
// state is a miss (a corrupt blob is evicted by the read).
func (cp *checkpoints) Load(step int) (stages.Artifact, error) {
	if cp.noLoad {
		return nil, nil
	}
	e, err := cp.c.GetAction(cp.stepKey(step))
	if err != nil || len(e.Outputs) != 1 {
		return nil, nil
	}
	if _, _, ok := (store{cp.c}).intact(e, false); !ok {
		return nil, nil
	}
	a, err := store{cp.c}.load(e.Outputs[0].Digest)
	if err != nil {
		return nil, nil
	}
	return a, nil
}

// Save implements stages.Checkpointer: the blob, then its record, then
// the removal of the state this execution saved before.
func (cp *checkpoints) Save(step int, state stages.Artifact) error {
	saved, err := store{cp.c}.put(stages.Outputs{"state": state}, nil)
	if err == nil {
		err = cp.c.PutAction(cp.stepKey(step), cache.Entry{Outputs: saved})
	}
	if err != nil {
		return fmt.Errorf("checkpoint after step %d: %w", step, err)
	}
	if cp.last > 0 {
		cp.drop(cp.last)
	}
	cp.last = step
	return nil
}

// drop deletes the state after step, record first, so no record ever
// names a removed blob. Failures only leave disk for GC.
func (cp *checkpoints) drop(step int) {
	k := cp.stepKey(step)
	e, err := cp.c.GetAction(k)
	if err != nil || cp.c.DeleteAction(k) != nil {
		return
	}
	for _, o := range e.Outputs {
		cp.c.EvictBlob(o.Digest)
	}
}
