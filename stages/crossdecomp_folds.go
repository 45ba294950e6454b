package stages

import (
	"context"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
)

// fitFolds fits one cross-decomposition per fold on the rows whose label
// differs from the fold's and projects the fold's own rows (§3.1–3.4,
// decomp.FitFolds), after checking every fold against the params.
func fitFolds(ctx context.Context, x, y *mat.Dense, plan foldPlan, p Params, same bool) (*decomp.Folds, error) {
	_, dx := x.Dims()
	_, dy := y.Dims()
	o, err := foldOptions(ctx, plan, p, dx, dy, same)
	if err != nil {
		return nil, err
	}
	return decomp.FitFolds(ctx, x, y, plan.labels, plan.groups, o)
}

// foldOptions are the fit options the params ask for, with n_components
// checked against every fold of the plan.
func foldOptions(ctx context.Context, plan foldPlan, p Params, dx, dy int, same bool) (decomp.CrossOptions, error) {
	o := decomp.CrossOptions{Same: same, Route: p.String("route")}
	err := plan.eachFold(ctx, 2, func(f int, train, _ []int) error {
		if !p.Has("n_components") {
			return nil
		}
		o.K = p.Int("n_components")
		if bound := min(len(train)-1, dx, dy); o.K > bound {
			return fmt.Errorf("param \"n_components\": %d exceeds min(n_train-1, dX, dY) = min(%d, %d, %d) in fold %d", o.K, len(train)-1, dx, dy, f)
		}
		return nil
	})
	return o, err
}

// How folds were made, as info["folds"] reports it.
const (
	foldsRandom   = "random"   // seeded shuffle of the reference labels (§3.4)
	foldsSupplied = "supplied" // the folds input
	foldsGrouped  = "grouped"  // group k-fold over the groups input
)

// foldPlan is the fold label of each row, how the labels were made and,
// when grouped, each row's group and the number of distinct groups.
type foldPlan struct {
	labels  []int
	n       int // folds
	how     string
	groups  []int64
	nGroups int
}

// planFolds makes the folds of n rows: from the folds input, by group
// k-fold over the groups input (sklearn GroupKFold), or at random (param
// "seed").
func planFolds(in Inputs, p Params, n int) (foldPlan, error) {
	fa, hasFolds := in["folds"]
	ga, hasGroups := in["groups"]
	var plan foldPlan
	var err error
	switch {
	case hasFolds && hasGroups:
		return plan, fmt.Errorf("inputs \"folds\" and \"groups\" are both given: remove \"folds\" to make group k-fold folds from the groups, or remove \"groups\" to use the supplied fold labels as they are")
	case hasFolds:
		plan.how = foldsSupplied
		plan.labels, err = suppliedFolds(fa, n)
	case hasGroups:
		plan.how = foldsGrouped
		plan.groups, err = groupLabels(ga, n)
		if err == nil {
			plan.labels, plan.nGroups, err = groupedFolds(plan.groups, p.Int("n_folds"))
		}
	default:
		plan.how = foldsRandom
		plan.labels, err = defaultFolds(n, p)
	}
	for _, l := range plan.labels {
		plan.n = max(plan.n, l+1)
	}
	return plan, err
}

// record adds how the folds were made to an info record.
func (fp foldPlan) record(r ndarray.Record) ndarray.Record {
	r["folds"] = fp.how
	if fp.how == foldsGrouped {
		r["n_groups"] = fp.nGroups
	}
	return r
}

// recordResampling adds to an info record how the resamplings asked for
// redraw: rows, or whole groups when the folds are grouped.
func (fp foldPlan) recordResampling(r ndarray.Record, permutations, bootstraps bool) ndarray.Record {
	if permutations {
		r["null"] = map[bool]string{false: nullRows, true: nullGroups}[fp.groups != nil]
	}
	if bootstraps {
		r["bootstrap"] = map[bool]string{false: bootRows, true: bootGroups}[fp.groups != nil]
	}
	return r
}

// How the permutation null and the bootstrap redraw, as info["null"] and
// info["bootstrap"] report it.
const (
	nullRows   = "rows permuted"
	nullGroups = "groups permuted within folds"
	bootRows   = "rows"
	bootGroups = "groups"
)

// source names what made the folds, for errors about them.
func (fp foldPlan) source() string {
	switch fp.how {
	case foldsSupplied:
		return `input "folds"`
	case foldsGrouped:
		return `input "groups"`
	}
	return `param "n_folds"`
}

// eachFold calls do with the train and test rows of folds 0..n-1 in
// order (split, each side at least least rows), stopping at the first
// error or when ctx is done: the k-fold loop of every stage that
// cross-validates (crossdecomp, encode).
func (fp foldPlan) eachFold(ctx context.Context, least int, do func(f int, train, test []int) error) error {
	for f := 0; f < fp.n; f++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		train, test, err := fp.split(f, least)
		if err != nil {
			return err
		}
		if err := do(f, train, test); err != nil {
			return err
		}
	}
	return nil
}

// split returns fold f's train and test rows, with an error naming the
// folds' source unless each side has at least least rows.
func (fp foldPlan) split(f, least int) (train, test []int, err error) {
	train, test = decomp.Split(fp.labels, f)
	if len(test) < least || len(train) < least {
		return nil, nil, fmt.Errorf("%s: fold %d has %d test and %d train rows; want at least %d of each in every fold 0..%d", fp.source(), f, len(test), len(train), least, fp.n-1)
	}
	return train, test, nil
}

// suppliedFolds reads fold labels 0..F-1, one per row.
func suppliedFolds(a Artifact, n int) ([]int, error) {
	fa, err := AsArray(a)
	if err != nil {
		return nil, fmt.Errorf("input \"folds\": %w", err)
	}
	if fa.Len() != n || len(fa.Shape) != 1 {
		return nil, fmt.Errorf("input \"folds\": want %d integer labels (one per row of x), got %s", n, fa.Describe())
	}
	labels := make([]int, n)
	for i := range labels {
		l := fa.Value(i)
		if l < 0 || l != math.Trunc(l) || l >= float64(n) {
			return nil, fmt.Errorf("input \"folds\": label %v at row %d; want integers 0..n_folds-1", l, i)
		}
		labels[i] = int(l)
	}
	return labels, nil
}

// groupLabels reads one integer group label per row.
func groupLabels(a Artifact, n int) ([]int64, error) { return integerLabels("groups", "group", a, n) }

// integerLabels reads input name as one integer label per row of x (int64,
// or floats with integer values); what names the labels in errors.
func integerLabels(name, what string, a Artifact, n int) ([]int64, error) {
	return labelsPer(name, what, "row of x", a, n)
}

// labelsPer reads input name as n integer labels, one per thing named by
// per (a row of x, a unit of the responses).
func labelsPer(name, what, per string, a Artifact, n int) ([]int64, error) {
	ga, err := AsArray(a)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	if ga.Len() != n || len(ga.Shape) != 1 {
		return nil, fmt.Errorf("input %q: want %d integer %s labels (one per %s), got %s", name, n, what, per, ga.Describe())
	}
	labels := make([]int64, n)
	for i := range labels {
		if ga.I64 != nil {
			labels[i] = ga.I64[i]
			continue
		}
		if v := ga.Value(i); v == math.Trunc(v) && math.Abs(v) <= 1<<53 {
			labels[i] = int64(v)
		} else {
			return nil, fmt.Errorf("input %q: value %v at %s %d is not an integer; want one integer %s label per %s (int64, or floats with integer values)", name, v, strings.Fields(per)[0], i, what, per)
		}
	}
	return labels, nil
}

// groupedFolds assigns the groups to k folds as sklearn 1.2 GroupKFold
// does.
func groupedFolds(groups []int64, k int) ([]int, int, error) {
	labels, nGroups, err := decomp.GroupFolds(groups, k)
	if err != nil {
		return nil, 0, fmt.Errorf("input \"groups\" with param \"n_folds\" = %d: %w; lower n_folds to at most %d or pass finer groups", k, err, nGroups)
	}
	return labels, nGroups, nil
}

// defaultFolds are the reference's fold labels (§3.4) shuffled by Go's
// generator seeded by param "seed".
func defaultFolds(n int, p Params) ([]int, error) {
	k := p.Int("n_folds")
	if n < 2*k {
		return nil, fmt.Errorf("param \"n_folds\": %d folds need at least %d samples (2 per test fold), x has %d", k, 2*k, n)
	}
	return decomp.FoldLabels(RNG("crossdecomp-folds", p.Int("seed")), n, k), nil
}

// rows copies the given rows of m.
func rows(m *mat.Dense, idx []int) *mat.Dense {
	_, c := m.Dims()
	out := mat.NewDense(len(idx), c, nil)
	for i, r := range idx {
		copy(out.RawRowView(i), m.RawRowView(r))
	}
	return out
}
