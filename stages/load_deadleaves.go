package stages

import (
	"context"
	"fmt"
	"math/rand/v2"

	imaging "github.com/eigenlab/eigenlab/stages/images"
)

func init() {
	RegisterSource(Source{
		Name:    "deadleaves",
		Version: "2", // 2: the generator changed after it was wired into load
		Doc: "n procedural natural-like size×size images: occluding discs of uniform random grey or RGB colour with radius density " +
			"r^-exponent on [rmin, rmax] px (exponent 3: scale invariant, power spectrum ~1/f², Lee, Mumford & Huang 2001); " +
			"seeded, nothing to download (the embedded default)",
		Params: []ParamSpec{
			nSpec("images", false),
			{Name: "size", Type: Int, Default: 64, Min: Bound(1), Doc: "side of the square images in pixels"},
			channelsSpec(3),
			{Name: "exponent", Type: Float, Default: 3.0, Min: Bound(0), Max: Bound(10), Doc: "radius density ∝ r^-exponent (3: scale invariant)"},
			{Name: "rmin", Type: Float, Default: 1.0, Min: Bound(0.5), Doc: "smallest disc radius in pixels"},
			{Name: "rmax", Type: Float, Optional: true, Min: Bound(0.5), Doc: "largest disc radius in pixels (default size)"},
			normalizeSpec(), seedSpec(),
		},
		Outputs:   []string{"images"},
		Run:       loadDeadLeaves,
		Validate:  func(p Params) error { return firstErr(checkChannels(p), deadLeavesOf(p).Check()) },
		Resources: deadLeavesResources,
	})
}

// deadLeavesResources bounds what loadDeadLeaves allocates: the
// n×channels×size×size float32 output, each worker's size×size coverage
// mask and per-row counters, and 1 MB.
func deadLeavesResources(p Params) Resources {
	n, size := p.Int("n"), p.Int("size")
	workers := max(1, min(imageThreads, n))
	return Resources{Threads: imageThreads, MemBytes: SumBytes(ArrayBytes(4, n, p.Int("channels"), size, size),
		ArrayBytes(1, workers, size, size), ArrayBytes(8, workers, size), 1<<20)}
}

// deadLeavesOf reads the generator's configuration from the params.
func deadLeavesOf(p Params) imaging.DeadLeaves {
	d := imaging.DeadLeaves{Size: p.Int("size"), Channels: p.Int("channels"), Exponent: p.Float("exponent"),
		RMin: p.Float("rmin"), RMax: float64(p.Int("size"))}
	if p.Has("rmax") {
		d.RMax = p.Float("rmax")
	}
	return d
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// loadDeadLeaves draws image i from its own stream RNG("load/deadleaves#i",
// seed), so the bytes depend on the params only, not on the thread count.
func loadDeadLeaves(ctx context.Context, p Params) (Outputs, error) {
	d := deadLeavesOf(p)
	n, seed := p.Int("n"), p.Int("seed")
	out := newImages(n, d.Channels, d.Size, d.Size)
	stream := func(i int) *rand.Rand { return RNG(fmt.Sprintf("load/deadleaves#%d", i), seed) }
	if err := d.RenderAll(ctx, out.F32, n, imageThreads, stream); err != nil {
		return nil, err
	}
	if err := normalizeImages(out, p); err != nil {
		return nil, err
	}
	return Outputs{"images": out}, nil
}
