package spectral

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// resample returns the rows (units along the first axis) idx of t, as a
// float64 tensor in memory: an explicit bootstrap resample.
func resample(t Tensor, idx []int) Tensor {
	f := t.Features()
	out := Tensor{Shape: append([]int{len(idx)}, t.Shape[1:]...), F64: make([]float64, len(idx)*f)}
	for r, i := range idx {
		t.seg(i*f, out.F64[r*f:(r+1)*f])
	}
	return out
}

// offsetData is n×f data (or n×c×h×w) with large, varied means, so that
// the draws' centering is exercised; float32 to exercise the conversion.
func offsetData(rng *rand.Rand, shape ...int) Tensor {
	x := Tensor{Shape: shape, F32: make([]float32, numel(shape))}
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64()*(1+float64(i%5)) + 20 + float64(i%11))
	}
	return x
}

func numel(shape []int) int {
	p := 1
	for _, d := range shape {
		p *= d
	}
	return p
}

// sameSpectra checks got against want to tol relative to want's largest
// magnitude, zeros included (a draw has fewer nonzero values than samples).
func sameSpectra(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	for k := range want {
		if math.Abs(got[k]-want[k]) > tol*scale {
			t.Fatalf("%s: λ_%d = %.15g, explicit resample %.15g", what, k+1, got[k], want[k])
		}
	}
}

// withIdentity is b with a last draw that takes every sample once: its
// spectrum must be the estimate itself.
func withIdentity(b *Bootstrap, n int) *Bootstrap {
	b.Idx = append(b.Idx, identity(n))
	return b
}

// The bootstrap spectra of every view equal the spectra of the explicitly
// resampled data to 1e-10 of λ1: the weighted double centering of the
// Gram route (wide), the weighted covariance of the direct route (tall,
// two blocks of rows), the channel view's moment products (centered and
// not, two groups of draws, three blocks of images) and the spatial
// view's mean spectrum. An all-once draw gives the estimate itself, and
// the draws are bit-identical from memory and from a File.
func TestBootstrapEqualsExplicitResample(t *testing.T) {
	defer SetBlockElems(100)() // direct route: rows in blocks of 256; channel: images in blocks of 32
	defer func(old int) { accElems = old }(accElems)
	accElems = 100 // channel: groups of 10 draws (C = 4: 10 packed values)
	rng := rand.New(rand.NewPCG(7, 8))
	views := []struct {
		name  string
		x     Tensor
		run   func(x Tensor, b *Bootstrap) ([]float64, [][]float64, error)
		check func(x Tensor) ([]float64, error)
	}{
		{"full gram", offsetData(rng, 30, 70), FullSpectra, FullEigenvalues},
		{"full direct", offsetData(rng, 300, 9), FullSpectra, FullEigenvalues},
		{"channel", offsetData(rng, 70, 4, 3, 2), func(x Tensor, b *Bootstrap) ([]float64, [][]float64, error) {
			return ChannelSpectra(x, true, b)
		}, func(x Tensor) ([]float64, error) { return ChannelEigenvalues(x, true) }},
		{"channel uncentered", offsetData(rng, 70, 4, 3, 2), func(x Tensor, b *Bootstrap) ([]float64, [][]float64, error) {
			return ChannelSpectra(x, false, b)
		}, func(x Tensor) ([]float64, error) { return ChannelEigenvalues(x, false) }},
		{"spatial", offsetData(rng, 12, 5, 2, 2), func(x Tensor, b *Bootstrap) ([]float64, [][]float64, error) {
			spectra, draws, err := LocationSpectra(x, b)
			if err != nil {
				return nil, nil, err
			}
			return MeanSpectrum(spectra), draws, nil
		}, func(x Tensor) ([]float64, error) {
			spectra, err := LocationEigenvalues(x)
			if err != nil {
				return nil, err
			}
			return MeanSpectrum(spectra), nil
		}},
	}
	for _, v := range views {
		b := withIdentity(NewBootstrap(rand.New(rand.NewPCG(1, 2)), v.x.N(), 15), v.x.N())
		lam, draws, err := v.run(v.x, b)
		if err != nil {
			t.Fatal(v.name, err)
		}
		if len(draws) != len(b.Idx) {
			t.Fatalf("%s: %d draws, want %d", v.name, len(draws), len(b.Idx))
		}
		for d, idx := range b.Idx {
			want, err := v.check(resample(v.x, idx))
			if err != nil {
				t.Fatal(err)
			}
			sameSpectra(t, fmt.Sprintf("%s draw %d", v.name, d), draws[d], want, 1e-10)
		}
		sameSpectra(t, v.name+" all-once draw", draws[len(draws)-1], lam, 1e-12)
		_, fromFile, err := v.run(onDisk(v.x), b)
		if err != nil {
			t.Fatal(v.name, err)
		}
		for d := range draws {
			if !slices.Equal(fromFile[d], draws[d]) {
				t.Fatalf("%s draw %d: from a File %v, from memory %v", v.name, d, fromFile[d], draws[d])
			}
		}
	}
}

// cvPCA draws: both repeats resampled with the same indices and the
// shuffles drawn from the bootstrap's stream after the indices, through
// both routes.
func TestCvPCABootstrapEqualsExplicitResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, shape := range [][2]int{{40, 12}, {14, 40}} {
		x1, noise := gaussian(rng, shape[0], shape[1]), gaussian(rng, shape[0], shape[1])
		x2 := Tensor{Shape: x1.Shape, F64: make([]float64, len(x1.F64))}
		for i, v := range x1.F64 {
			x2.F64[i] = v + 0.5*noise.F64[i]
		}
		b := NewBootstrap(rand.New(rand.NewPCG(5, 6)), shape[0], 4)
		_, draws, err := CvPCA(rand.New(rand.NewPCG(1, 1)), x1, x2, 3, b)
		if err != nil {
			t.Fatal(err)
		}
		replay := rand.New(rand.NewPCG(5, 6))
		NewBootstrap(replay, shape[0], 4) // the indices come first
		for d, idx := range b.Idx {
			want, _, err := CvPCA(replay, resample(x1, idx), resample(x2, idx), 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameSpectra(t, fmt.Sprintf("%v draw %d", shape, d), draws[d], want, 1e-10)
		}
	}
}

// Draws are counted correctly: every row of counts sums to n and matches
// the indices.
func TestBootstrapCounts(t *testing.T) {
	b := NewBootstrap(rand.New(rand.NewPCG(3, 3)), 50, 7)
	w := b.counts(50)
	for d, idx := range b.Idx {
		got := make([]float64, 50)
		for _, i := range idx {
			got[i]++
		}
		sum := 0.0
		for i, v := range w.RawRowView(d) {
			sum += v
			if v != got[i] {
				t.Fatalf("draw %d sample %d: count %v, want %v", d, i, v, got[i])
			}
		}
		if sum != 50 {
			t.Errorf("draw %d: counts sum to %v", d, sum)
		}
	}
}
