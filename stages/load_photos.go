package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"os"
	"strings"
	"sync"

	"github.com/eigenlab/eigenlab/internal/regular"
	"github.com/eigenlab/eigenlab/ndarray"
	imaging "github.com/eigenlab/eigenlab/stages/images"
)

// photoRoot prefixes the curated photo paths (tests point it elsewhere).
var photoRoot = ""

func init() {
	RegisterSource(Source{
		Name: "photos",
		Doc: "n patch×patch patches of the 37 real photos of Debian's wallpaper packages (DATA.md §1.2; `make data` installs them), " +
			"each photo first downscaled so its short side is scale px (0: native); photos, not patches, are split: in path order every " +
			"4th photo is test (28 train, 9 test); n is shared evenly among the split's photos (earlier photos take the remainder), " +
			"each sampled with its own seeded stream, patches grouped by photo in path order; also outputs photo (int64 index into the " +
			"37-photo list per patch) and photos (paths, packages, SHA-256 of the photos used)",
		Params: []ParamSpec{
			nSpec("patches", false),
			{Name: "patch", Type: Int, Default: 64, Min: Bound(2), Doc: "patch side in pixels"},
			{Name: "scale", Type: Int, Default: 600, Min: Bound(0), Doc: "downscale each photo so its short side is this many px (never upscale); 0 keeps native resolution"},
			{Name: "split", Type: String, Default: "train", Choices: imaging.Splits, Doc: "train, test or all (by source photo: every 4th in path order is test)"},
			{Name: "sampling", Type: String, Default: "random", Choices: []string{"random", "grid"},
				Doc: "random: uniform positions, patches may overlap; grid: non-overlapping cells of a centred grid in seeded order"},
			{Name: "min_std", Type: Float, Default: 0.0, Min: Bound(0), Doc: "keep only patches whose luma sd (0-255 scale) exceeds this; DATA.md's 'textured' is 8"},
			channelsSpec(3), normalizeSpec(), seedSpec(),
		},
		Outputs:  []string{"images", "photo", "photos"},
		Run:      loadPhotos,
		Validate: validatePhotos,
		Resources: func(p Params) Resources {
			// Per worker: the largest photo (6028×3391) decoded as YCbCr
			// (31 MB), the file (≈10 MB) and Catmull-Rom's float64
			// intermediate (≈120 MB) or a native RGBA copy (82 MB).
			out := int64(p.Int("n")) * int64(p.Int("channels")*p.Int("patch")*p.Int("patch")*4+8)
			return Resources{Threads: imageThreads, MemBytes: out + imageThreads*170<<20}
		},
	})
}

func validatePhotos(p Params) error {
	if err := checkChannels(p); err != nil {
		return err
	}
	if s := p.Int("scale"); s != 0 && s < p.Int("patch") {
		return fmt.Errorf("param \"scale\": %d is below patch %d, so no patch would fit", s, p.Int("patch"))
	}
	return nil
}

// photoPath is where photo i of the curated list is read from.
func photoPath(i int) string { return photoRoot + imaging.Photos[i].Path }

// checkPhotos fails, telling the user how to install them, when photos of
// the split are missing.
func checkPhotos(idx []int) error {
	var missing []string
	pkgs := map[string]bool{}
	for _, i := range idx {
		if _, err := os.Stat(photoPath(i)); err != nil {
			missing = append(missing, photoPath(i))
			pkgs[imaging.Photos[i].Package] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var names []string
	for _, pk := range imaging.PhotoPackages {
		if pkgs[pk] {
			names = append(names, pk)
		}
	}
	return fmt.Errorf("photos: %d of the %d photos are missing (first: %s) from Debian package(s) %s; run `make data` (scripts/setup.sh installs %s)",
		len(missing), len(idx), missing[0], strings.Join(names, ", "), strings.Join(imaging.PhotoPackages, " "))
}

func loadPhotos(ctx context.Context, p Params) (Outputs, error) {
	idx, err := imaging.PhotoSplit(p.String("split"))
	if err != nil {
		return nil, fmt.Errorf("param \"split\": %w", err)
	}
	if err := checkPhotos(idx); err != nil {
		return nil, err
	}
	n, ch, size := p.Int("n"), p.Int("channels"), p.Int("patch")
	if n < len(idx) {
		idx = idx[:n] // one patch each from the first n photos: decode no more
	}
	out := newImages(n, ch, size, size)
	photo := &ndarray.Array{Shape: []int{n}, Axes: []string{"image"}, I64: make([]int64, n)}
	// Photo k of the split takes patches [first[k], first[k+1]).
	first := make([]int, len(idx)+1)
	for k := range idx {
		quota := n / len(idx)
		if k < n%len(idx) {
			quota++
		}
		first[k+1] = first[k] + quota
	}
	sums := make([]string, len(idx))
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	sem := make(chan struct{}, imageThreads)
	for k, i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[k] = ctx.Err()
				return
			}
			lo, hi := first[k], first[k+1]
			sums[k], errs[k] = photoPatches(p, i, out.F32[lo*ch*size*size:hi*ch*size*size], hi-lo)
			for j := lo; j < hi; j++ {
				photo.I64[j] = int64(i)
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs...); err != nil {
		return nil, err
	}
	if err := normalizeImages(out, p); err != nil {
		return nil, err
	}
	rec := ndarray.Record{"split": p.String("split"), "index": idx, "paths": pathsOf(idx), "packages": packagesOf(idx), "sha256": sums}
	return Outputs{"images": out, "photo": photo, "photos": rec}, nil
}

// photoPatches cuts count patches of photo i into dst with the photo's own
// stream RNG("load/photos#i", seed), and returns the file's SHA-256.
func photoPatches(p Params, i int, dst []float32, count int) (string, error) {
	path := photoPath(i)
	data, err := regular.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	img, err := imaging.DecodeBytes(data, imaging.DefaultMaxPixels)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	m := scalePhoto(img, p.Int("scale"))
	opt := imaging.PatchOptions{Size: p.Int("patch"), Grid: p.String("sampling") == "grid", MinStd: p.Float("min_std")}
	rects, err := imaging.SamplePatches(m, count, opt, RNG(fmt.Sprintf("load/photos#%d", i), p.Int("seed")))
	if err != nil {
		return "", fmt.Errorf("%s (scale %d): %w", path, p.Int("scale"), err)
	}
	ch, per := p.Int("channels"), p.Int("channels")*opt.Size*opt.Size
	for j, r := range rects {
		imaging.Planar(dst[j*per:(j+1)*per], m, r, ch)
	}
	return hex.EncodeToString(sum[:]), nil
}

// scalePhoto downscales img so its short side is scale (0 or a photo that
// is already small enough: native resolution).
func scalePhoto(img image.Image, scale int) *image.RGBA {
	b := img.Bounds()
	if scale == 0 || min(b.Dx(), b.Dy()) <= scale {
		return imaging.Canonical(img)
	}
	return imaging.ResizeShort(img, scale)
}

func pathsOf(idx []int) []string {
	s := make([]string, len(idx))
	for k, i := range idx {
		s[k] = imaging.Photos[i].Path
	}
	return s
}

func packagesOf(idx []int) []string {
	s := make([]string, len(idx))
	for k, i := range idx {
		s[k] = imaging.Photos[i].Package
	}
	return s
}
