package spectral

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

const n, c, h, w = 200, 5, 3, 2 // N > C·L, so Σ_full is the direct F×F covariance
const l = h * w

// acts returns N×C×H×W data with location-dependent means (so the
// between-location term of the channel identity is not zero).
func acts() Tensor {
	rng := rand.New(rand.NewPCG(3, 4))
	x := Tensor{Shape: []int{n, c, h, w}, F64: make([]float64, n*c*l)}
	for i := range x.F64 {
		x.F64[i] = rng.NormFloat64()*(1+float64(i%7)) + 0.4*float64(i%l)
	}
	return x
}

// cov is the covariance of the rows of x (N×F).
func cov(x Tensor) *mat.SymDense { return fullCov(x, sampleMeans(x, x.Features(), 1)) }

// locationCovs returns Σ_l for every location.
func locationCovs(x Tensor) []*mat.SymDense {
	mats := make([]*mat.Dense, l)
	for k := range mats {
		mats[k] = mat.NewDense(n, c, nil)
	}
	gatherLocations(x, 0, l, mats)
	covs := make([]*mat.SymDense, l)
	for k, m := range mats {
		covs[k] = cov(DenseTensor(m))
	}
	return covs
}

func closeEnough(t *testing.T, what string, got, want mat.Matrix) {
	t.Helper()
	if !mat.EqualApprox(got, want, 1e-12*mat.Norm(want, math.Inf(1))) {
		t.Errorf("%s: identity fails\ngot  %v\nwant %v", what, mat.Formatted(got), mat.Formatted(want))
	}
}

// §1.1 identity 1: the diagonal blocks of Σ_full are the Σ_l (C-order
// flattening: feature c·L + l), hence tr Σ_full = Σ_l tr Σ_l.
func TestFullDiagonalBlocksAreLocations(t *testing.T) {
	x := acts()
	full, locs := cov(x), locationCovs(x)
	tr := 0.0
	for pos, s := range locs {
		block := mat.NewDense(c, c, nil)
		for a := 0; a < c; a++ {
			for b := 0; b < c; b++ {
				block.Set(a, b, full.At(a*l+pos, b*l+pos))
			}
		}
		closeEnough(t, "diagonal block", block, s)
		tr += mat.Trace(s)
	}
	if got := mat.Trace(full); math.Abs(got-tr) > 1e-12*got {
		t.Errorf("tr Σ_full = %.15g, Σ_l tr Σ_l = %.15g", got, tr)
	}
}

// §1.1 identity 2: (NL−1)Σ_chan = Σ_l (N−1)Σ_l + N·Σ_l (m_l − m̄)(m_l − m̄)ᵀ.
func TestChannelWithinPlusBetween(t *testing.T) {
	x := acts()
	rhs := mat.NewSymDense(c, nil)
	for _, s := range locationCovs(x) {
		rhs.AddSym(rhs, s)
	}
	rhs.ScaleSym(n-1, rhs)
	means := make([]*mat.VecDense, l)
	grand := mat.NewVecDense(c, nil)
	for pos := range means {
		means[pos] = mat.NewVecDense(c, nil)
		for i := 0; i < n; i++ {
			for ch := 0; ch < c; ch++ {
				means[pos].SetVec(ch, means[pos].AtVec(ch)+x.F64[(i*c+ch)*l+pos]/n)
			}
		}
		grand.AddScaledVec(grand, 1.0/l, means[pos])
	}
	for _, m := range means {
		var d mat.VecDense
		d.SubVec(m, grand)
		rhs.SymRankOne(rhs, n, &d)
	}
	lhs := channelCov(x, sampleMeans(x, c, l), n*l-1)
	lhs.ScaleSym(n*l-1, lhs)
	closeEnough(t, "channel covariance", lhs, rhs)
}

// §1.1 identity 3: the covariance of GAP features (mean over locations)
// is (1/L²)·Σ_{l,l'} Σ_full[l,l'], with block [l,l'] at rows {c·L+l} and
// columns {c'·L+l'}.
func TestGAPCovarianceFromFullBlocks(t *testing.T) {
	x := acts()
	gap := Tensor{Shape: []int{n, c}, F64: make([]float64, n*c)}
	for i := range gap.F64 {
		for pos := 0; pos < l; pos++ {
			gap.F64[i] += x.F64[i*l+pos] / l
		}
	}
	full := cov(x)
	want := mat.NewDense(c, c, nil)
	for a := 0; a < c; a++ {
		for b := 0; b < c; b++ {
			s := 0.0
			for p := 0; p < l; p++ {
				for q := 0; q < l; q++ {
					s += full.At(a*l+p, b*l+q)
				}
			}
			want.Set(a, b, s/(l*l))
		}
	}
	closeEnough(t, "GAP covariance", cov(gap), want)
}

// Same input, same bytes: the views are deterministic run to run.
func TestViewsDeterministic(t *testing.T) {
	x := acts()
	for name, f := range map[string]func() ([]float64, error){
		"full":    func() ([]float64, error) { return FullEigenvalues(x) },
		"channel": func() ([]float64, error) { return ChannelEigenvalues(x, true) },
	} {
		a, err1 := f()
		b, err2 := f()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Fatalf("%s: λ_%d differs between runs: %v vs %v", name, i+1, a[i], b[i])
			}
		}
	}
}
