package align_test

import (
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/align"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
)

// nullCase is one case of make_goldens.py's brute-force null: the mapped
// eigenvectors of network 1 (te, rows), those of network 2 (f, rows), the
// compared block size top, D2, and the thresholds.
type nullCase struct {
	te, f      *mat.Dense
	top, d2    int
	tau, ustar float64
}

// nullCaseNames: rot27 (D2 = top = 27), trap (D2 − top < top), proj
// (C1 > C2 aligned by activations, so T is not an isometry; D2 − top ≥ top),
// corr (te given: 15 unit vectors in R^40 with pairwise cosines ≈ 0.8).
var nullCaseNames = []string{"rot27", "trap", "proj", "corr"}

func loadNullCase(t *testing.T, name string) nullCase {
	t.Helper()
	read := func(what string) *ndarray.Array { return golden.Read(t, "testdata", "null_"+name+"_"+what) }
	params := read("params").F64
	if name == "corr" {
		te, f := golden.Matrix(read("te")), golden.Matrix(read("f"))
		top, d2 := te.Dims()
		return nullCase{te: te, f: f, top: top, d2: d2, tau: params[0], ustar: align.Threshold(d2, params[1])}
	}
	w1, w2 := read("w1"), read("w2")
	c1, c2, taps := w1.Shape[1], w2.Shape[1], w1.Shape[2]*w1.Shape[3]
	a := mat.NewDense(c1, c1, nil)
	for i := 0; i < c1; i++ {
		a.Set(i, i, 1)
	}
	if _, err := os.Stat("testdata/null_" + name + "_phi.npy"); err == nil {
		if a, err = align.Alignment(samples(read("phi")), samples(read("psi")), align.Moments{}); err != nil {
			t.Fatal(err)
		}
	}
	_, e1, err := align.WeightEigen(golden.Matrix(w1))
	if err != nil {
		t.Fatal(err)
	}
	_, e2, err := align.WeightEigen(golden.Matrix(w2))
	if err != nil {
		t.Fatal(err)
	}
	return nullCase{te: align.MapEigenvectors(a, e1, taps), f: e2, top: min(50, e1.RawMatrix().Rows, e2.RawMatrix().Rows),
		d2: c2 * taps, tau: params[0], ustar: align.Threshold(c2*taps, params[1])}
}

// samples is space_to_batch: N×C×H×W → (N·H·W)×C.
func samples(x *ndarray.Array) *mat.Dense {
	n, c, l := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	s := mat.NewDense(n*l, c, nil)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < l; p++ {
				s.Set(i*l+p, ch, x.F64[(i*c+ch)*l+p])
			}
		}
	}
	return s
}

// counts are n_shared_diag (tau), n_shared_diag_ustar and n_shared_match (tau).
func counts(m *mat.Dense, tau, ustar float64) []float64 {
	diag, match := align.Shared(m, tau)
	diagU, _ := align.Shared(m, ustar)
	return []float64{float64(diag), float64(diagU), float64(match)}
}

// matchedColumns counts the columns whose best match is at least tau: a
// statistic of the joint law of the rows, not only of each entry.
func matchedColumns(m *mat.Dense, tau float64) float64 {
	_, match := align.Shared(mat.DenseCopyOf(m.T()), tau)
	return float64(match)
}

// TestNullMatchesBruteForce: the O(top³) sampler draws the law of the
// literal §5.4 null (network 2's eigenvectors rotated by a Haar Q on
// O(D2)), checked against numpy's brute force (20000 draws): for every
// count and the matched-column count, the null mean within 4 Monte-Carlo
// standard errors, the sd within 10% (counts with sd ≥ 1) and the 95%/99%
// quantiles within one. The observed cosines, overlap (mapped eigenvectors
// scaled to unit length) and counts match numpy to 1e-10.
func TestNullMatchesBruteForce(t *testing.T) {
	const draws = 4000
	for _, name := range nullCaseNames {
		t.Run(name, func(t *testing.T) {
			c := loadNullCase(t, name)
			m := align.Cosines(c.te, c.f, c.top)
			golden.CloseRel(t, "cosines", m.RawMatrix().Data, golden.Read(t, "testdata", "null_"+name+"_cosines").F64, 1e-10)
			golden.CloseRel(t, "overlap", align.Overlap(c.te, c.f, c.top), golden.Read(t, "testdata", "null_"+name+"_overlap").F64, 1e-10)
			golden.CloseRel(t, "counts", counts(m, c.tau, c.ustar), golden.Read(t, "testdata", "null_"+name+"_counts").F64, 0)
			null := align.NewNull(c.te, c.top)
			rng := rand.New(rand.NewPCG(3, 4))
			got := make([][]float64, 4)
			for d := 0; d < draws; d++ {
				md, err := null.Draw(rng)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range append(counts(md, c.tau, c.ustar), matchedColumns(md, c.tau)) {
					got[i] = append(got[i], v)
				}
			}
			ref := golden.Read(t, "testdata", "null_"+name+"_null_stats") // rows: counts; mean, sd, q95, q99
			for i := range got {
				mean, sd, q95, q99 := ref.F64[4*i], ref.F64[4*i+1], ref.F64[4*i+2], ref.F64[4*i+3]
				sort.Float64s(got[i])
				se := sd * math.Sqrt(1.0/draws+1.0/20000)
				g, gsd := stat.MeanStdDev(got[i], nil)
				if math.Abs(g-mean) > 4*se+1e-9 {
					t.Errorf("count %d: null mean %.4f, brute force %.4f ± %.4f", i, g, mean, se)
				}
				if sd >= 1 && math.Abs(gsd-sd) > 0.1*sd { // rare counts: the mean says it all
					t.Errorf("count %d: null sd %.4f, brute force %.4f", i, gsd, sd)
				}
				if g95, g99 := decomp.Quantile(got[i], 0.95), decomp.Quantile(got[i], 0.99); math.Abs(g95-q95) > 1 || math.Abs(g99-q99) > 1 {
					t.Errorf("count %d: null quantiles %v/%v, brute force %v/%v", i, g95, g99, q95, q99)
				}
			}
		})
	}
}

// TestNullOverlapChance: under the null, E o(k) = k/D2 exactly once the
// mapped eigenvectors are scaled to unit length (§5.4 decision), also for
// proj, where T = A ⊗ I shortens them (C1 > C2). The null cosines'
// mean square is 1/D2 (cos² ~ Beta(½, (D2−1)/2)).
func TestNullOverlapChance(t *testing.T) {
	const draws = 3000
	for _, name := range nullCaseNames {
		t.Run(name, func(t *testing.T) {
			c := loadNullCase(t, name)
			null := align.NewNull(c.te, c.top)
			rng := rand.New(rand.NewPCG(5, 6))
			o := make([][]float64, c.top) // o(k) per draw
			for d := 0; d < draws; d++ {
				m, err := null.Draw(rng)
				if err != nil {
					t.Fatal(err)
				}
				for k := 1; k <= c.top; k++ {
					ss := 0.0
					for i := 0; i < k; i++ {
						for j := 0; j < k; j++ {
							ss += m.At(i, j) * m.At(i, j)
						}
					}
					o[k-1] = append(o[k-1], ss/float64(k))
				}
			}
			chance := align.OverlapChance(c.d2, c.top)
			for k := range o {
				mean, sd := stat.MeanStdDev(o[k], nil)
				if se := sd / math.Sqrt(draws); math.Abs(mean-chance[k]) > 4*se {
					t.Errorf("o(%d): null mean %.5f ± %.5f, chance k/D2 = %.5f", k+1, mean, se, chance[k])
				}
			}
		})
	}
}

// TestNullDeterministic: the same stream gives the same draws.
func TestNullDeterministic(t *testing.T) {
	c := loadNullCase(t, "proj")
	null := align.NewNull(c.te, c.top)
	a, _ := null.Draw(rand.New(rand.NewPCG(1, 1)))
	b, _ := null.Draw(rand.New(rand.NewPCG(1, 1)))
	if !mat.Equal(a, b) {
		t.Error("same seed, different null draws")
	}
}
