package images

import (
	"context"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/stat"
)

func stream(seed uint64) func(int) *rand.Rand {
	return func(i int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(i))) }
}

func renderAll(t testing.TB, d DeadLeaves, n, workers int, seed uint64) []float32 {
	t.Helper()
	pix := make([]float32, n*d.Channels*d.Size*d.Size)
	for i := range pix {
		pix[i] = -1 // every pixel must be painted
	}
	if err := d.RenderAll(context.Background(), pix, n, workers, stream(seed)); err != nil {
		t.Fatal(err)
	}
	return pix
}

// Every pixel is painted with a colour in [0, 1]; the same streams give the
// same bytes whatever the number of workers; another seed differs.
func TestDeadLeavesDeterministic(t *testing.T) {
	for _, d := range []DeadLeaves{
		{Size: 32, Channels: 3, Exponent: 3, RMin: 1, RMax: 32},
		{Size: 17, Channels: 1, Exponent: 2, RMin: 0.5, RMax: 4},
		{Size: 8, Channels: 1, Exponent: 1, RMin: 1, RMax: 100},
	} {
		a := renderAll(t, d, 12, 1, 7)
		b := renderAll(t, d, 12, 3, 7)
		c := renderAll(t, d, 12, 2, 8)
		same := true
		for i := range a {
			if a[i] < 0 || a[i] > 1 {
				t.Fatalf("%+v: value %v at %d", d, a[i], i)
			}
			if a[i] != b[i] {
				t.Fatalf("%+v: 1 and 3 workers differ at %d", d, i)
			}
			same = same && a[i] == c[i]
		}
		if same {
			t.Errorf("%+v: seeds 7 and 8 gave the same images", d)
		}
	}
}

// Check rejects what Render cannot draw.
func TestDeadLeavesCheck(t *testing.T) {
	for _, d := range []DeadLeaves{
		{Size: 0, Channels: 1, Exponent: 3, RMin: 1, RMax: 2},
		{Size: 8, Channels: 2, Exponent: 3, RMin: 1, RMax: 2},
		{Size: 8, Channels: 1, Exponent: 3, RMin: 0.4, RMax: 2},
		{Size: 8, Channels: 1, Exponent: 3, RMin: 2, RMax: 2},
		{Size: 8, Channels: 1, Exponent: math.NaN(), RMin: 1, RMax: 2},
	} {
		if d.Check() == nil {
			t.Errorf("%+v: accepted", d)
		}
	}
}

// Radii follow the density ∝ r^-a: for a = 3 the CDF is
// (rmin^-2 − r^-2)/(rmin^-2 − rmax^-2); compare at a few quantiles.
func TestDeadLeavesRadii(t *testing.T) {
	rad := DeadLeaves{Exponent: 3, RMin: 1, RMax: 64}.radii()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	below := map[float64]int{1.5: 0, 2: 0, 4: 0, 16: 0}
	for i := 0; i < n; i++ {
		r := rad.draw(rng)
		if r < 1 || r > 64 {
			t.Fatalf("radius %v outside [1, 64]", r)
		}
		for q := range below {
			if r <= q {
				below[q]++
			}
		}
	}
	for q, k := range below {
		want := (1 - 1/(q*q)) / (1 - 1.0/(64*64))
		if got := float64(k) / n; math.Abs(got-want) > 0.005 {
			t.Errorf("P(r ≤ %v) = %.4f, want %.4f", q, got, want)
		}
	}
}

// powerSlope is the slope of log power against log frequency of the
// radially averaged 2-D power spectrum (Hann-windowed, mean removed,
// averaged over images) between fLo and fHi cycles per image.
func powerSlope(pix []float32, n, size int, fLo, fHi float64) float64 {
	fft := fourier.NewCmplxFFT(size)
	power := make([]float64, size*size)
	buf := make([]complex128, size*size)
	col := make([]complex128, size)
	win := make([]float64, size)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(size))
	}
	for k := 0; k < n; k++ {
		img := pix[k*size*size : (k+1)*size*size]
		mean := 0.0
		for _, v := range img {
			mean += float64(v)
		}
		mean /= float64(len(img))
		for i, v := range img {
			buf[i] = complex((float64(v)-mean)*win[i/size]*win[i%size], 0)
		}
		for y := 0; y < size; y++ {
			fft.Coefficients(buf[y*size:(y+1)*size], buf[y*size:(y+1)*size])
		}
		for x := 0; x < size; x++ {
			for y := 0; y < size; y++ {
				col[y] = buf[y*size+x]
			}
			fft.Coefficients(col, col)
			for y := 0; y < size; y++ {
				power[y*size+x] += math.Pow(cmplx.Abs(col[y]), 2)
			}
		}
	}
	var lf, lp []float64
	bins := map[int][2]float64{}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fy, fx := float64(min(y, size-y)), float64(min(x, size-x))
			f := math.Hypot(fx, fy)
			if f < fLo || f > fHi {
				continue
			}
			b := int(math.Round(f))
			s := bins[b]
			bins[b] = [2]float64{s[0] + power[y*size+x], s[1] + 1}
		}
	}
	for b, s := range bins {
		lf = append(lf, math.Log(float64(b)))
		lp = append(lp, math.Log(s[0]/s[1]))
	}
	_, slope := stat.LinearRegression(lf, lp, nil, false)
	return slope
}

// The natural-image statistic: with exponent 3 the power spectrum falls
// like 1/f² (Lee, Mumford & Huang 2001). Measured over 2–32 cycles per
// image on 64 images of 128²; the tolerance ±0.25 covers sampling noise
// (the slope moves by < 0.05 across seeds) and the small-disc cutoff.
func TestDeadLeavesSpectrum(t *testing.T) {
	const size, n = 128, 64
	d := DeadLeaves{Size: size, Channels: 1, Exponent: 3, RMin: 1, RMax: size}
	slope := powerSlope(renderAll(t, d, n, 2, 3), n, size, 2, 32)
	t.Logf("power spectrum slope %.3f (want -2)", slope)
	if math.Abs(slope+2) > 0.25 {
		t.Errorf("power spectrum slope %.3f, want -2 ± 0.25", slope)
	}
}

// BenchmarkDeadLeaves draws 64×64 RGB images on 2 workers; images/s is the
// figure to watch (2,000 images should take well under a few seconds).
func BenchmarkDeadLeaves(b *testing.B) {
	d := DeadLeaves{Size: 64, Channels: 3, Exponent: 3, RMin: 1, RMax: 64}
	const n = 200
	pix := make([]float32, n*3*64*64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.RenderAll(context.Background(), pix, n, 2, stream(uint64(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}
