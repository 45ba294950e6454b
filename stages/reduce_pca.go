package stages

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

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
	fit := m
	if len(train) < x.Rows() {
		fit = rows(m, train)
	}
	model, err := decomp.FitPCA(fit, p.Int("k"))
	if err != nil {
		return fmt.Errorf("param \"k\": %w (fitted on %d train rows)", err, len(train))
	}
	out["x"] = pcaScores(m, model, train)
	out["components"] = denseArray(model.Components)
	out["explained_variance"] = &ndarray.Array{Shape: []int{len(model.Variance)}, F64: model.Variance}
	out["train_idx"] = ndarray.Ints(train...)
	info := out["info"].(ndarray.Record)
	info["k"], info["n_train"], info["route"] = p.Int("k"), len(train), model.Route
	return nil
}

// pcaScores returns every row's scores: the fit's own U_k S_k for the
// train rows (sklearn's fit_transform) and (x − μ)·V_k for the others.
func pcaScores(m *mat.Dense, model *decomp.PCA, train []int) *ndarray.Array {
	n, _ := m.Dims()
	if len(train) == n {
		return denseArray(model.Scores)
	}
	_, k := model.Scores.Dims()
	rest := make([]int, 0, n-len(train))
	for i, t := 0, 0; i < n; i++ {
		if t < len(train) && train[t] == i {
			t++
		} else {
			rest = append(rest, i)
		}
	}
	out := ndarray.NewF64(n, k)
	for _, part := range []struct {
		idx []int
		z   *mat.Dense
	}{{train, model.Scores}, {rest, model.Transform(rows(m, rest))}} {
		for i, r := range part.idx {
			copy(out.F64[r*k:(r+1)*k], part.z.RawRowView(i))
		}
	}
	return out
}

// denseArray is m as an array, sharing its data when its rows are
// contiguous (a stage's own fresh result: no copy needed).
func denseArray(m *mat.Dense) *ndarray.Array {
	raw := m.RawMatrix()
	if raw.Stride != raw.Cols {
		return fromDense(m)
	}
	return &ndarray.Array{Shape: []int{raw.Rows, raw.Cols}, F64: raw.Data[:raw.Rows*raw.Cols]}
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
