package stages

import (
	"fmt"
	"math"
	"slices"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
)

// runPCA fits PCA on the training rows and transforms every row (§2.1).
func runPCA(x *ndarray.Array, in Inputs, p Params, out Outputs) error {
	train, err := pcaTrainRows(x.Rows(), in, p)
	if err != nil {
		return err
	}
	m := matrix(x)
	model, err := decomp.FitPCA(rows(m, train), p.Int("k"))
	if err != nil {
		return fmt.Errorf("param \"k\": %w (fitted on %d train rows)", err, len(train))
	}
	out["x"] = fromDense(model.Transform(m))
	out["components"] = fromDense(model.Components)
	out["explained_variance"] = &ndarray.Array{Shape: []int{len(model.Variance)}, F64: model.Variance}
	out["train_idx"] = ndarray.Ints(train...)
	info := out["info"].(ndarray.Record)
	info["k"], info["n_train"], info["route"] = p.Int("k"), len(train), model.Route
	return nil
}

// pcaTrainRows returns the rows PCA is fitted on, in increasing order: the
// train_idx input, or a seeded random fraction split of all rows.
func pcaTrainRows(n int, in Inputs, p Params) ([]int, error) {
	a, ok := in["train_idx"]
	if !ok {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		m := int(math.Round(p.Float("split") * float64(n)))
		if m < 2 {
			return nil, fmt.Errorf("param \"split\": %v of %d rows leaves %d to fit on; want at least 2", p.Float("split"), n, m)
		}
		if m == n {
			return all, nil
		}
		RNG("reduce", p.Int("seed")).Shuffle(n, func(i, j int) { all[i], all[j] = all[j], all[i] })
		train := all[:m]
		slices.Sort(train)
		return train, nil
	}
	if p.Float("split") != 1 {
		return nil, fmt.Errorf("param \"split\": give either split or the train_idx input, not both")
	}
	idx, err := AsArray(a)
	if err != nil || idx.DType() != ndarray.Int64 || len(idx.Shape) != 1 {
		return nil, fmt.Errorf("input \"train_idx\": want a 1-d int64 array of row indices")
	}
	train := make([]int, idx.Len())
	for i, v := range idx.I64 {
		if v < 0 || v >= int64(n) {
			return nil, fmt.Errorf("input \"train_idx\": index %d outside 0..%d (the rows of x)", v, n-1)
		}
		train[i] = int(v)
	}
	slices.Sort(train)
	for i := 1; i < len(train); i++ {
		if train[i] == train[i-1] {
			return nil, fmt.Errorf("input \"train_idx\": row %d appears twice; want distinct row indices", train[i])
		}
	}
	if len(train) < 2 {
		return nil, fmt.Errorf("input \"train_idx\": %d row indices; want at least 2", len(train))
	}
	return train, nil
}
