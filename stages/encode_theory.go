package stages

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/snap"
)

// theoryOutputs are encode's outputs with param theory.
var theoryOutputs = []string{"eg_theory", "eg_empirical", "kappa", "learning_curve", "theory_ed", "theory_tad", "theory_summary"}

// snapThreshold is SNAP's cumulative-power threshold for the mode ranks.
const snapThreshold = 0.99

// spectralTheory adds the spectral theory of prediction (METHODS §6.4,
// SNAP): from the linear kernel of x (every row; x and y centered) its
// eigenvalues and y's alignment weights, E_g(p) at every p of theory_ps
// from the κ equation with ridge theory_reg per sample, against the mean
// over theory_trials draws of the ridge error on all rows (seeded by seed;
// iid: draws with replacement, as the theory assumes), with SNAP's
// spectral-bias and alignment summaries.
func spectralTheory(out Outputs, x, y *mat.Dense, p Params) error {
	s, err := snap.KernelSpectrum(x, y, true)
	if err != nil {
		return fmt.Errorf("param \"theory\": %w", err)
	}
	ps := p.Ints("theory_ps")
	fps := make([]float64, len(ps))
	for i, v := range ps {
		fps[i] = float64(v)
	}
	curve, err := snap.Theory(s.Eigs, s.Weights, p.Float("theory_reg"), fps)
	if err != nil {
		return fmt.Errorf("params \"theory_ps\", \"theory_reg\": %w", err)
	}
	emp, err := snap.LearningCurve(x, y, true, p.Float("theory_reg"), ps, p.Int("theory_trials"), RNG("encode-theory", p.Int("seed")).Uint64(), p.Bool("iid"))
	if err != nil {
		return fmt.Errorf("param \"theory_ps\": %w", err)
	}
	theory, empirical := ndarray.NewF64(len(ps)), ndarray.NewF64(len(ps))
	for k := range ps {
		theory.F64[k] = curve.Total(k)
		empirical.F64[k], _ = meanSD(emp.Gen.RawRowView(k))
	}
	sum := snap.Summarize(s, snapThreshold)
	radius, dim := curve.ErrorModes(s.Weights, s.Rank)
	out["eg_theory"], out["eg_empirical"], out["kappa"] = theory, empirical, vector(curve.Kappa)
	out["learning_curve"] = learningCurve(ps, theory.F64, empirical.F64)
	out["theory_ed"], out["theory_tad"] = ndarray.Scalar(sum.ED), ndarray.Scalar(sum.TAD)
	out["theory_summary"] = ndarray.Record{
		"ed": sum.ED, "cum_ed": sum.CumED, "tad": sum.TAD, "cum_tad": sum.CumTAD,
		"feat_dim": sum.FeatDim, "task_dim": sum.TaskDim, "rank_eig": sum.RankEig, "rank_weight": sum.RankWeight,
		"out_of_span": sum.OutOfSpan, "rank": s.Rank, "threshold": snapThreshold,
		"theory_ps": ps, "error_mode_radius": finiteList(radius), "error_mode_dim": finiteList(dim),
	}
	return nil
}

// finiteList is v with NaN/Inf as null, for a JSON record.
func finiteList(v []float64) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = finiteOrNil(x)
	}
	return out
}

// learningCurve is the len(ps)×3 table p, theory, empirical: column 0
// holds the x values, as a report's spectrum figure reads a 2-d output.
func learningCurve(ps []int, theory, empirical []float64) *ndarray.Array {
	out := ndarray.NewF64(len(ps), 3)
	for k, p := range ps {
		out.F64[3*k], out.F64[3*k+1], out.F64[3*k+2] = float64(p), theory[k], empirical[k]
	}
	return out
}
