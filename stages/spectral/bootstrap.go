package spectral

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Bootstrap is a set of resamples of the N samples (stimuli, images) of
// a view: Idx[d] holds the sample indices of draw d, drawn uniformly with
// replacement (N of them), or, for a cluster bootstrap, every member of
// each of G groups drawn with replacement (then a draw's length varies). Rng supplies what else a draw needs (cvPCA's repeat
// swaps), after the indices, so that the draws never share a stream with
// the estimate itself. The views compute eigenvalues only for a draw,
// never vectors (cvPCA, which needs its axes, aside).
type Bootstrap struct {
	Idx [][]int
	Rng *rand.Rand
}

// NewBootstrap draws `draws` resamples of n samples from rng.
func NewBootstrap(rng *rand.Rand, n, draws int) *Bootstrap {
	b := &Bootstrap{Idx: make([][]int, draws), Rng: rng}
	for d := range b.Idx {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		b.Idx[d] = idx
	}
	return b
}

// NewGroupBootstrap draws `draws` cluster resamples: groups[i] labels
// sample i, and each draw takes G of the G distinct groups uniformly with
// replacement, every member of a drawn group together, in sample order
// within a group. Samples that share a group (patches cut from one photo,
// trials of one session) are dependent; resampling them one by one would
// understate the spread.
func NewGroupBootstrap(rng *rand.Rand, groups []int, draws int) *Bootstrap {
	var order []int
	members := map[int][]int{}
	for i, g := range groups {
		if members[g] == nil {
			order = append(order, g)
		}
		members[g] = append(members[g], i)
	}
	b := &Bootstrap{Idx: make([][]int, draws), Rng: rng}
	for d := range b.Idx {
		var idx []int
		for range order {
			idx = append(idx, members[order[rng.IntN(len(order))]]...)
		}
		b.Idx[d] = idx
	}
	return b
}

// counts returns how often each of the n samples is in each draw: a
// draws×n matrix whose row d sums to len(Idx[d]).
func (b *Bootstrap) counts(n int) *mat.Dense {
	w := mat.NewDense(len(b.Idx), n, nil)
	for d, idx := range b.Idx {
		row := w.RawRowView(d)
		for _, i := range idx {
			row[i]++
		}
	}
	return w
}

// gramDraws returns, for every draw of b (nil: none), the first k
// eigenvalues of the covariance of the resampled rows, from the
// uncentered Gram g of the N rows (the Gram route of FullSpectra), padded
// with zeros to k. The resample is X_w = P X with P the N×N selection
// matrix of the draw, so PᵀP = D = diag(w), w the counts (Σw = N), and
// its mean is μ_w = Xᵀw/M, M = Σw the draw's rows (N, or the members of
// a cluster draw). Then X_w − 1μ_wᵀ = P J_w X with
// J_w = I − 1wᵀ/M (P1 = 1), and the nonzero eigenvalues of
// (P J_w X)(P J_w X)ᵀ/(M−1) are those of D^½ J_w G J_wᵀ D^½/(M−1): on the
// K rows drawn (w_i > 0) the K×K matrix with entries
// √(w_i w_j)(g_ij − r_i − r_j + t)/(M−1), where r_i = Σ_k w_k g_ik/M and
// t = Σ_k w_k r_k/M (the weighted double centering; w = 1 gives the
// double centering of §1.1a). Its rank is at most K−1.
func gramDraws(g *mat.SymDense, b *Bootstrap, k int) ([][]float64, error) {
	if b == nil {
		return nil, nil
	}
	n := g.SymmetricDim()
	w := b.counts(n)
	draws := make([][]float64, len(b.Idx))
	for d := range draws {
		var drawn []int
		for i, v := range w.RawRowView(d) {
			if v > 0 {
				drawn = append(drawn, i)
			}
		}
		wd, m := w.RawRowView(d), float64(len(b.Idx[d]))
		r := make([]float64, len(drawn))
		t := 0.0
		for a, i := range drawn {
			for _, j := range drawn {
				r[a] += wd[j] * g.At(i, j)
			}
			r[a] /= m
			t += wd[i] * r[a]
		}
		t /= m
		h := mat.NewSymDense(len(drawn), nil)
		for a, i := range drawn {
			for c := a; c < len(drawn); c++ {
				j := drawn[c]
				h.SetSym(a, c, math.Sqrt(wd[i]*wd[j])*(g.At(i, j)-r[a]-r[c]+t)/(m-1))
			}
		}
		vals, err := linalg.PSDEigenvalues(h)
		if err != nil {
			return nil, err
		}
		draws[d] = padTo(vals, k)
	}
	return draws, nil
}

// padTo returns the first k values of v, with zeros after its end.
func padTo(v []float64, k int) []float64 {
	out := make([]float64, k)
	copy(out, v)
	return out
}

// weightedCovDraws returns, for every draw of b (nil: none), the first k
// eigenvalues of the F×F covariance of the resampled rows of t (N×F, the
// direct route of FullSpectra): with counts w and rows shifted by mean
// (any fixed shift: the covariance does not depend on it; the full-data
// mean keeps the sums small), Q = Σ_i w_i x_i x_iᵀ and v = Σ_i w_i x_i,
// the covariance is (Q − v vᵀ/M)/(M−1), M = Σw the draw's rows. Q is accumulated with SYRK on
// blocks of the drawn rows scaled by √w_i: one pass over t per draw, the
// cost of one F×F covariance.
func weightedCovDraws(t Tensor, mean []float64, b *Bootstrap, k int) ([][]float64, error) {
	if b == nil {
		return nil, nil
	}
	n, f := t.N(), t.Features()
	w := b.counts(n)
	h := blockLen(n, f, 256)
	buf := make([]float64, h*f)
	draws := make([][]float64, len(b.Idx))
	for d := range draws {
		cov := mat.NewSymDense(f, nil)
		v := make([]float64, f)
		rows := 0
		flush := func() {
			if rows > 0 {
				cov.SymRankK(cov, 1, mat.NewDense(rows, f, buf[:rows*f]).T())
			}
			rows = 0
		}
		for i, wi := range w.RawRowView(d) {
			if wi == 0 {
				continue
			}
			row := buf[rows*f : (rows+1)*f]
			t.seg(i*f, row)
			s := math.Sqrt(wi)
			for j := range row {
				row[j] -= mean[j]
				v[j] += wi * row[j]
				row[j] *= s
			}
			if rows++; rows == h {
				flush()
			}
		}
		flush()
		m := float64(len(b.Idx[d]))
		cov.SymRankOne(cov, -1/m, mat.NewVecDense(f, v))
		cov.ScaleSym(1/(m-1), cov)
		vals, err := linalg.PSDEigenvalues(cov)
		if err != nil {
			return nil, err
		}
		draws[d] = vals[:k]
	}
	return draws, nil
}

// accElems bounds the draws' accumulators of channelDraws (float64
// elements, 256 MiB): draws are taken in groups of at most
// accElems/(C(C+1)/2), one pass over the data per group.
var accElems = 1 << 25

// channelDraws returns, for every draw of b (nil: none), the first k
// eigenvalues of the channel covariance (§1.1b) of the resampled images,
// each image drawn with all its L positions: with s the positions'
// C-vectors shifted by mean (nil: the uncentered second moment),
// Q_w = Σ_i w_i M_i and v_w = Σ_i w_i m_i from each image's moments
// M_i = Σ_pos s sᵀ and m_i = Σ_pos s, the covariance is
// (Q_w − v_w v_wᵀ/(M·L))/(M·L−1) (uncentered: Q_w/(M·L)), M = Σw the
// draw's images. The moments are
// computed image by image (SYRK of the image's C×L block) and combined
// with the draws' counts by one matrix product per block of images
// (GEMM: counts × moments, the upper triangles packed), so per-image
// moments are never kept for all N images, and each draw costs ~N·C²
// flops instead of the N·L·C² of recomputing its covariance. One pass
// over the data per group of draws (see accElems).
func channelDraws(t Tensor, mean []float64, k int, b *Bootstrap) ([][]float64, error) {
	if b == nil {
		return nil, nil
	}
	n, c := t.N(), t.Shape[1]
	l := t.Features() / c
	p := c * (c + 1) / 2
	w := b.counts(n)
	group := max(1, accElems/p)
	draws := make([][]float64, 0, len(b.Idx))
	for d0 := 0; d0 < len(b.Idx); d0 += group {
		d1 := min(len(b.Idx), d0+group)
		q, v := channelMoments(t, mean, w.Slice(d0, d1, 0, n).(*mat.Dense))
		for d := 0; d < d1-d0; d++ {
			s := unpackUpper(q.RawRowView(d), c)
			ml := float64(len(b.Idx[d0+d]) * l)
			div := ml
			if mean != nil {
				s.SymRankOne(s, -1/ml, mat.NewVecDense(c, v.RawRowView(d)))
				div--
			}
			s.ScaleSym(1/div, s)
			vals, err := linalg.PSDEigenvalues(s)
			if err != nil {
				return nil, err
			}
			draws = append(draws, vals[:k])
		}
	}
	return draws, nil
}

// channelMoments returns, for the draws whose counts are the rows of w,
// Q = w·M (each row a packed upper triangle Σ_i w_i M_i) and V = w·m,
// with M_i and m_i the moments of image i (see channelDraws), in one pass
// over the images, blocks of images at a time.
func channelMoments(t Tensor, mean []float64, w *mat.Dense) (q, v *mat.Dense) {
	n, c := t.N(), t.Shape[1]
	l := t.Features() / c
	p := c * (c + 1) / 2
	g, _ := w.Dims()
	nb := min(n, max(32, blockElems/p))
	mb, vb := mat.NewDense(nb, p, nil), mat.NewDense(nb, c, nil)
	q, v = mat.NewDense(g, p, nil), mat.NewDense(g, c, nil)
	img := make([]float64, c*l)
	m := mat.NewSymDense(c, nil)
	for i0 := 0; i0 < n; i0 += nb {
		i1 := min(n, i0+nb)
		for i := i0; i < i1; i++ {
			t.seg(i*c*l, img)
			vr := vb.RawRowView(i - i0)
			for ch := range vr {
				shift := 0.0
				if mean != nil {
					shift = mean[ch]
				}
				vr[ch] = 0
				for pos := ch * l; pos < (ch+1)*l; pos++ {
					img[pos] -= shift
					vr[ch] += img[pos]
				}
			}
			m.SymOuterK(1, mat.NewDense(c, l, img))
			packUpper(m, mb.RawRowView(i-i0))
		}
		wb := w.Slice(0, g, i0, i1).(*mat.Dense)
		gemmAdd(q, wb, mb.Slice(0, i1-i0, 0, p).(*mat.Dense))
		gemmAdd(v, wb, vb.Slice(0, i1-i0, 0, c).(*mat.Dense))
	}
	return q, v
}

// gemmAdd adds a·b to c (BLAS GEMM with β = 1).
func gemmAdd(c, a, b *mat.Dense) {
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, a.RawMatrix(), b.RawMatrix(), 1, c.RawMatrix())
}

// packUpper writes the upper triangle of s, row by row, into dst.
func packUpper(s *mat.SymDense, dst []float64) {
	raw, off := s.RawSymmetric(), 0
	for r := 0; r < raw.N; r++ {
		off += copy(dst[off:], raw.Data[r*raw.Stride+r:r*raw.Stride+raw.N])
	}
}

// unpackUpper is the c×c symmetric matrix whose upper triangle packUpper
// wrote into src.
func unpackUpper(src []float64, c int) *mat.SymDense {
	s := mat.NewSymDense(c, nil)
	raw, off := s.RawSymmetric(), 0
	for r := 0; r < c; r++ {
		off += copy(raw.Data[r*raw.Stride+r:r*raw.Stride+c], src[off:])
	}
	return s
}
