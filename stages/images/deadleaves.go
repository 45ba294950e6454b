package images

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// DeadLeaves is the dead-leaves model of natural images (Matheron; Lee,
// Mumford & Huang 2001, "Occlusion models for natural images"): opaque
// discs of random colour fall on the image one after another, each hiding
// what lies under it. Centres form a uniform Poisson process on the plane
// and radii have density ∝ r^-Exponent on [RMin, RMax] pixels; Exponent 3
// makes the model scale invariant between the two radii, and the image's
// power spectrum then falls like 1/f² there, as natural images' does.
//
// Render draws front to back: each new disc lies behind all earlier ones
// and only paints pixels none of them covered, so an image is done as soon
// as every pixel is covered (no disc is drawn over another). A pixel
// belongs to a disc when its centre (x+½, y+½) is within r of the disc's
// centre. Colours are uniform on [0, 1], one value for grey images and an
// independent one per channel for RGB; values are written in the unit
// range directly, without an 8-bit step.
type DeadLeaves struct {
	Size       int     // image side in pixels (square images)
	Channels   int     // 1 (grey) or 3 (RGB)
	Exponent   float64 // radius density ∝ r^-Exponent; 3 is scale invariant (LMH 2001)
	RMin, RMax float64 // radius range in pixels, 0.5 ≤ RMin < RMax
}

// Check reports a configuration Render cannot draw.
func (d DeadLeaves) Check() error {
	switch {
	case d.Size < 1:
		return fmt.Errorf("dead leaves: size %d, want ≥ 1", d.Size)
	case d.Channels != 1 && d.Channels != 3:
		return fmt.Errorf("dead leaves: %d channels, want 1 or 3", d.Channels)
	case !(d.RMin >= 0.5):
		// A disc of radius ≥ ½ covers the pixel its centre falls in, so
		// every pixel is eventually covered.
		return fmt.Errorf("dead leaves: rmin %v, want ≥ 0.5 px", d.RMin)
	case !(d.RMax > d.RMin):
		return fmt.Errorf("dead leaves: rmax %v, want > rmin %v", d.RMax, d.RMin)
	case math.IsNaN(d.Exponent) || math.IsInf(d.Exponent, 0):
		return fmt.Errorf("dead leaves: exponent %v is not finite", d.Exponent)
	}
	return nil
}

// radii draws radii with density ∝ r^-a on [rmin, rmax] by inverting the
// CDF; a = 3 (the default) takes a square root instead of a power.
type radii struct {
	a, rmin, ratio, lo, span, inv float64
}

func (d DeadLeaves) radii() radii {
	r := radii{a: d.Exponent, rmin: d.RMin, ratio: d.RMax / d.RMin}
	if d.Exponent != 1 {
		r.lo = math.Pow(d.RMin, 1-d.Exponent)
		r.span = math.Pow(d.RMax, 1-d.Exponent) - r.lo
		r.inv = 1 / (1 - d.Exponent)
	}
	return r
}

func (r *radii) draw(rng *rand.Rand) float64 {
	u := rng.Float64()
	switch r.a {
	case 1:
		return r.rmin * math.Pow(r.ratio, u)
	case 3:
		return 1 / math.Sqrt(r.lo+u*r.span)
	}
	return math.Pow(r.lo+u*r.span, r.inv)
}

// Render draws one image into dst (Channels×Size×Size, unit range) with
// the random stream rng; the same stream gives the same bytes.
func (d DeadLeaves) Render(dst []float32, rng *rand.Rand) {
	n := d.Size
	if len(dst) != d.Channels*n*n {
		panic(fmt.Sprintf("images: dead leaves of %d×%d×%d into %d values", d.Channels, n, n, len(dst)))
	}
	covered := make([]bool, n*n)
	rowLeft := make([]int, n) // uncovered pixels per row
	for y := range rowLeft {
		rowLeft[y] = n
	}
	left := n * n
	// Centres are drawn on the image grown by RMax on every side: a disc
	// centred further out cannot reach the image.
	span := float64(n) + 2*d.RMax
	var col [3]float32
	rad := d.radii()
	fn := float64(n)
	for left > 0 {
		r := rad.draw(rng)
		cx, cy := rng.Float64()*span-d.RMax, rng.Float64()*span-d.RMax
		if cx+r < 0 || cy+r < 0 || cx-r > fn || cy-r > fn {
			continue // off the image: no colour drawn, nothing painted
		}
		for c := 0; c < d.Channels; c++ {
			col[c] = rng.Float32()
		}
		y0 := max(0, int(math.Ceil(cy-r-0.5)))
		y1 := min(n-1, int(math.Floor(cy+r-0.5)))
		for y := y0; y <= y1; y++ {
			if rowLeft[y] == 0 {
				continue
			}
			dy := float64(y) + 0.5 - cy
			h := r*r - dy*dy
			if h < 0 {
				continue
			}
			dx := math.Sqrt(h)
			x0 := max(0, int(math.Ceil(cx-dx-0.5)))
			x1 := min(n-1, int(math.Floor(cx+dx-0.5)))
			for x := x0; x <= x1; x++ {
				i := y*n + x
				if covered[i] {
					continue
				}
				covered[i] = true
				rowLeft[y]--
				left--
				for c := 0; c < d.Channels; c++ {
					dst[c*n*n+i] = col[c]
				}
			}
		}
	}
}

// RenderAll draws count images into dst (count×Channels×Size×Size), image i
// with the stream stream(i), on up to workers goroutines. Because every
// image has its own stream, the bytes do not depend on workers.
func (d DeadLeaves) RenderAll(ctx context.Context, dst []float32, count, workers int, stream func(i int) *rand.Rand) error {
	if err := d.Check(); err != nil {
		return err
	}
	size := d.Channels * d.Size * d.Size
	if len(dst) != count*size {
		panic(fmt.Sprintf("images: %d dead-leaves images into %d values", count, len(dst)))
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || next >= count {
			return -1
		}
		next++
		return next - 1
	}
	for w := 0; w < max(1, min(workers, count)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				d.Render(dst[i*size:(i+1)*size], stream(i))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}
