package spectral

import (
	"fmt"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// FullEigenvalues returns, descending, the eigenvalues of the sample
// covariance of t viewed as N×F (METHODS.md §1.1a: conv activations
// flattened in C order), centered by the column means and divided by N−1.
// Only the min(N−1, F) eigenvalues that centering can leave nonzero are
// returned: eigenvalue N of a wide matrix is always ≈ 0 and is dropped.
// The route (see FullRoute) is the Gram trick when F > N and the F×F
// covariance otherwise; both accumulate block by block.
func FullEigenvalues(t Tensor) ([]float64, error) {
	lam, _, err := FullSpectra(t, nil)
	return lam, err
}

// FullSpectra is FullEigenvalues with, for every draw of b (nil: none),
// the same spectrum of the resampled rows (see gramDraws and
// weightedCovDraws), of the same length.
func FullSpectra(t Tensor, b *Bootstrap) (lam []float64, draws [][]float64, err error) {
	defer catchRead(&err)
	n, f := t.N(), t.Features()
	if n < 2 {
		return nil, nil, fmt.Errorf("need at least 2 samples, got %d", n)
	}
	k := min(n-1, f)
	var s *mat.SymDense
	if FullRoute(n, f) == "gram" {
		s = uncenteredGram(t)
		if draws, err = gramDraws(s, b, k); err != nil {
			return nil, nil, err
		}
		doubleCenter(s)
		s.ScaleSym(1/float64(n-1), s)
	} else {
		mean := sampleMeans(t, f, 1)
		s = fullCov(t, mean)
		if draws, err = weightedCovDraws(t, mean, b, k); err != nil {
			return nil, nil, err
		}
	}
	vals, err := linalg.PSDEigenvalues(s)
	if err != nil {
		return nil, nil, err
	}
	return vals[:k], draws, nil
}

// CovEigenvalues is FullEigenvalues of a gonum matrix (rows are samples).
func CovEigenvalues(x *mat.Dense) ([]float64, error) { return FullEigenvalues(DenseTensor(x)) }

// FullRoute names how FullEigenvalues treats n samples of f features:
// "gram" (the N×N Gram, when f > n) or "direct" (the f×f covariance).
func FullRoute(n, f int) string {
	if f > n {
		return "gram"
	}
	return "direct"
}

// uncenteredGram is the first half of the Gram trick of §1.1a: the
// uncentered Gram G = Σ_J X[:,J] X[:,J]ᵀ accumulated over blocks J of
// feature columns. Double-centered, J G J with J = I − 11ᵀ/N (an exact
// identity: no column means are needed), and divided by N−1, its nonzero
// eigenvalues are those of the covariance.
func uncenteredGram(t Tensor) *mat.SymDense {
	n, f := t.N(), t.Features()
	b := blockLen(f, n, 256)
	blocks := newColBlocks(t, b)
	g := mat.NewSymDense(n, nil)
	for j := 0; j < f; j += b {
		g.SymRankK(g, 1, blocks.cols(j, min(f, j+b)))
	}
	return g
}

// doubleCenter replaces g by J g J, J = I − 11ᵀ/n: entry (i, j) becomes
// g_ij − r_i − r_j + t with r the row means and t the grand mean.
func doubleCenter(g *mat.SymDense) {
	n := g.SymmetricDim()
	r := make([]float64, n)
	total := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			r[i] += g.At(i, j)
		}
		total += r[i]
		r[i] /= float64(n)
	}
	total /= float64(n) * float64(n)
	raw := g.RawSymmetric()
	for i := 0; i < n; i++ {
		row := raw.Data[i*raw.Stride : i*raw.Stride+n]
		for j := i; j < n; j++ {
			row[j] += total - r[i] - r[j]
		}
	}
}

// sampleMeans returns the mean of each of the c features over the N·l
// samples of t, whose every unit (first axis) holds c×l values, feature
// major: the channel means of the channel view (l = H·W) and the column
// means of an N×F matrix (c = F, l = 1).
func sampleMeans(t Tensor, c, l int) []float64 {
	mean := make([]float64, c)
	seg := make([]float64, c*l)
	for i := 0; i < t.N(); i++ {
		t.seg(i*c*l, seg)
		for ch := range mean {
			mean[ch] += floats.Sum(seg[ch*l : (ch+1)*l])
		}
	}
	floats.Scale(1/float64(t.N()*l), mean)
	return mean
}

// fullCov is the F×F covariance X_cᵀX_c/(N−1), X_c = X − 1 meanᵀ: the
// centered rows accumulated block by block with SYRK.
func fullCov(t Tensor, mean []float64) *mat.SymDense {
	n, f := t.N(), t.Features()
	h := blockLen(n, f, 256)
	buf := make([]float64, h*f)
	c := mat.NewSymDense(f, nil)
	for i0 := 0; i0 < n; i0 += h {
		i1 := min(n, i0+h)
		blk := buf[:(i1-i0)*f]
		t.seg(i0*f, blk)
		for r := 0; r < len(blk); r += f {
			floats.Sub(blk[r:r+f], mean)
		}
		c.SymRankK(c, 1, mat.NewDense(i1-i0, f, blk).T())
	}
	c.ScaleSym(1/float64(n-1), c)
	return c
}

// ChannelEigenvalues is the channel view of §1.1b, descending: positions
// as samples (N×C×H×W → (N·H·W)×C), the C×C covariance over all N·L
// samples. Centered, it is divided by N·L−1 and has min(C, N·L−1) values;
// uncentered (center false: the Rainbow second moment SᵀS/(N·L), for
// parity with batch-normalised code) it has min(C, N·L).
func ChannelEigenvalues(t Tensor, center bool) ([]float64, error) {
	lam, _, err := ChannelSpectra(t, center, nil)
	return lam, err
}

// ChannelSpectra is ChannelEigenvalues with, for every draw of b (nil:
// none), the channel spectrum of the resampled images, each image drawn
// with all its positions (see channelDraws).
func ChannelSpectra(t Tensor, center bool, b *Bootstrap) (lam []float64, draws [][]float64, err error) {
	defer catchRead(&err)
	if err := t.need4(); err != nil {
		return nil, nil, err
	}
	c := t.Shape[1]
	l := t.Features() / c
	m := t.N() * l
	var mean []float64
	if center {
		mean = sampleMeans(t, c, l)
		m--
	}
	k := min(c, m)
	vals, err := linalg.PSDEigenvalues(channelCov(t, mean, float64(m)))
	if err != nil {
		return nil, nil, err
	}
	if draws, err = channelDraws(t, mean, k, b); err != nil {
		return nil, nil, err
	}
	return vals[:k], draws, nil
}

// channelCov accumulates the channel covariance over blocks of images: in
// each, the (images·L)×C matrix S is built, shifted by mean (nil: not
// shifted) and added with SYRK; the sum is divided by div.
func channelCov(t Tensor, mean []float64, div float64) *mat.SymDense {
	n, c := t.N(), t.Shape[1]
	l := t.Features() / c
	b := blockLen(n, l*c, 1)
	buf, seg := make([]float64, b*l*c), make([]float64, l)
	cov := mat.NewSymDense(c, nil)
	for i0 := 0; i0 < n; i0 += b {
		i1 := min(n, i0+b)
		for i := i0; i < i1; i++ {
			for ch := 0; ch < c; ch++ {
				t.seg((i*c+ch)*l, seg)
				shift := 0.0
				if mean != nil {
					shift = mean[ch]
				}
				for pos, v := range seg {
					buf[((i-i0)*l+pos)*c+ch] = v - shift
				}
			}
		}
		cov.SymRankK(cov, 1, mat.NewDense((i1-i0)*l, c, buf[:(i1-i0)*l*c]).T())
	}
	cov.ScaleSym(1/div, cov)
	return cov
}

// LocationEigenvalues is the spatial view of §1.1c: for each location
// l = h·W + w the covariance of X_l = A[:, :, h, w] (N×C), through
// FullEigenvalues (so the Gram trick applies when C > N).
func LocationEigenvalues(t Tensor) ([][]float64, error) {
	spectra, _, err := LocationSpectra(t, nil)
	return spectra, err
}

// LocationSpectra is LocationEigenvalues with, for every draw of b (nil:
// none), the rank-wise mean over locations of the resampled locations'
// spectra (FullSpectra of each X_l with the same draws): the bootstrap of
// the view's headline spectrum (see MeanSpectrum). Locations are gathered
// in blocks, one pass over the data per block (from a File, one short read
// per sample and channel in each pass).
func LocationSpectra(t Tensor, b *Bootstrap) (spectra, meanDraws [][]float64, err error) {
	defer catchRead(&err)
	if err := t.need4(); err != nil {
		return nil, nil, err
	}
	n, c := t.N(), t.Shape[1]
	l := t.Features() / c
	blk := blockLen(l, n*c, 1)
	mats := make([]*mat.Dense, blk)
	for k := range mats {
		mats[k] = mat.NewDense(n, c, nil)
	}
	spectra = make([][]float64, l)
	for l0 := 0; l0 < l; l0 += blk {
		l1 := min(l, l0+blk)
		gatherLocations(t, l0, l1, mats)
		for pos := l0; pos < l1; pos++ {
			vals, draws, err := FullSpectra(DenseTensor(mats[pos-l0]), b)
			if err != nil {
				return nil, nil, fmt.Errorf("location %d: %w", pos, err)
			}
			spectra[pos] = vals
			meanDraws = addScaled(meanDraws, draws, 1/float64(l))
		}
	}
	return spectra, meanDraws, nil
}

// addScaled adds a·src to sum element by element, allocating sum (zeros)
// on first use.
func addScaled(sum, src [][]float64, a float64) [][]float64 {
	if sum == nil && src != nil {
		sum = make([][]float64, len(src))
		for d, s := range src {
			sum[d] = make([]float64, len(s))
		}
	}
	for d, s := range src {
		floats.AddScaled(sum[d], a, s)
	}
	return sum
}

// gatherLocations fills mats[k] with X_l (N×C) for l = l0+k, l < l1.
func gatherLocations(t Tensor, l0, l1 int, mats []*mat.Dense) {
	n, c := t.N(), t.Shape[1]
	l := t.Features() / c
	seg := make([]float64, l1-l0)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			t.seg((i*c+ch)*l+l0, seg)
			for k, v := range seg {
				mats[k].Set(i, ch, v)
			}
		}
	}
}

// MeanSpectrum is the rank-wise mean λ̄_k = (1/L)Σ_l λ_k of equally long
// spectra (§1.1c: the spectrum whose α summarises the spatial view).
func MeanSpectrum(spectra [][]float64) []float64 {
	mean := make([]float64, len(spectra[0]))
	for _, s := range spectra {
		for k, v := range s {
			mean[k] += v
		}
	}
	for k := range mean {
		mean[k] /= float64(len(spectra))
	}
	return mean
}

// Center returns x minus its column means.
func Center(x *mat.Dense) *mat.Dense { return linalg.Centered(x, linalg.ColMeans(x)) }
