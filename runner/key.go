package runner

import (
	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// actionKey is n's action key and its text for the given input digests.
// The runner and `eigenlab plan` ask action.Key, as the report and
// `eigenlab verify` do: one rule decides what is current.
func actionKey(n *node, inputs map[string]ndarray.Digest) (cache.ActionKey, string, error) {
	return action.KeyLines(n.inst.Stage, n.inst.Params, n.inst.ParamLines(), inputs)
}

// seedOf returns the "seed" parameter if the stage has one.
func seedOf(p stages.Params) *int {
	if v, ok := p["seed"].(int); ok {
		return &v
	}
	return nil
}
