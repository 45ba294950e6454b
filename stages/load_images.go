package stages

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/eigenlab/eigenlab/internal/regular"
	"github.com/eigenlab/eigenlab/ndarray"
	imaging "github.com/eigenlab/eigenlab/stages/images"
)

// The image sources (deadleaves, folder, photos, fashion-mnist) all output
// "images": float32 N×C×H×W with axes image, channel, y, x, normalised as
// the package doc of stages/images says. They share these parameter specs;
// load merges parameters by name, so a shared name must be declared alike.

// imageAxes are the axis names of every image output.
var imageAxes = []string{"image", "channel", "y", "x"}

// imageThreads is how many images or photos a source decodes or draws at
// once; it is also what the sources declare to the scheduler.
const imageThreads = 2

func normalizeSpec() ParamSpec {
	return ParamSpec{Name: "normalize", Type: String, Default: string(imaging.Unit), Choices: imaging.Normalizations,
		Doc: "pixel range: unit [0,1]; symmetric [-1,1] (Keras MobileNetV2/InceptionV3); imagenet (u-mean)/std per channel"}
}

func channelsSpec(def int) ParamSpec {
	return ParamSpec{Name: "channels", Type: Int, Default: def, Min: Bound(1), Max: Bound(3),
		Doc: "1 (BT.601 luma 0.299R+0.587G+0.114B) or 3 (RGB; grey replicated)"}
}

func seedSpec() ParamSpec {
	return ParamSpec{Name: "seed", Type: Int, Default: 0, Doc: "random seed"}
}

// nSpec agrees with the planted sources' n (load merges shared names).
func nSpec(doc string, optional bool) ParamSpec {
	return ParamSpec{Name: "n", Type: Int, Min: Bound(3), Optional: optional, Doc: doc}
}

// checkChannels rejects channels = 2, which the bounds let through.
func checkChannels(p Params) error {
	if c := p.Int("channels"); c != 1 && c != 3 {
		return fmt.Errorf("param \"channels\": %d, want 1 (grey) or 3 (RGB)", c)
	}
	return nil
}

// newImages allocates the images output and returns it with its values.
func newImages(n, c, h, w int) *ndarray.Array {
	a := ndarray.NewF32(n, c, h, w)
	a.Axes = imageAxes
	return a
}

// normalizeImages applies param normalize to unit-range images in place.
func normalizeImages(a *ndarray.Array, p Params) error {
	err := imaging.Normalize(a.F32, a.Shape[1], a.Shape[2]*a.Shape[3], imaging.Normalization(p.String("normalize")))
	if err != nil {
		return fmt.Errorf("param \"normalize\": %w", err)
	}
	return nil
}

func init() {
	RegisterSource(Source{
		Name: "folder",
		Doc: "images from the JPEG/PNG/GIF files of folder path, in sorted name order, as N×C×size×size float32 " +
			"(each file resized so its short side is resize, default size, then cropped size×size at the centre or at a seeded random spot); " +
			"without size all files must share one size; also outputs files (names); a file that is not a readable JPEG/PNG/GIF is an error naming it",
		Params: append([]ParamSpec{
			{Name: "path", Type: String, File: true, Doc: "folder of .jpg/.jpeg/.png/.gif files (hidden files ignored, anything else is an error)"},
			nSpec("use the first n files (default all)", true),
		}, decodeSpecs()...),
		Outputs:   []string{"images", "files"},
		Run:       loadFolder,
		Validate:  validateFolder,
		Resources: folderResources,
	})
}

// decodeSpecs are the params of decodeImages, shared by the folder and
// class-folders sources.
func decodeSpecs() []ParamSpec {
	return []ParamSpec{
		{Name: "size", Type: Int, Optional: true, Min: Bound(1), Doc: "side of the square output images in pixels"},
		{Name: "resize", Type: Int, Optional: true, Min: Bound(1), Doc: "short side after the Catmull-Rom resize, before cropping (default size)"},
		{Name: "crop", Type: String, Default: "center", Choices: []string{"center", "random"}, Doc: "where the size×size crop sits"},
		{Name: "max_pixels", Type: Int, Optional: true, Min: Bound(1),
			Doc: fmt.Sprintf("refuse a file whose header claims more pixels (width×height) than this, before decoding it (default %d, 100 megapixels: 400 MB decoded)", imaging.DefaultMaxPixels)},
		channelsSpec(3), normalizeSpec(), seedSpec(),
	}
}

// folderResources estimates the output from the folder's file count.
func folderResources(p Params) Resources {
	files, err := folderFiles(p.String("path"))
	if err != nil {
		return decodeResources(p, 0)
	}
	return decodeResources(p, len(files))
}

// decodeResources estimates decodeImages on n files: the output (1 MB per
// file without size) plus 256 MB for decoding one large photo and its
// resize buffers.
func decodeResources(p Params, n int) Resources {
	per := int64(1 << 20)
	if p.Has("size") {
		per = int64(p.Int("channels")*p.Int("size")*p.Int("size")) * 4
	}
	return Resources{Threads: 1, MemBytes: int64(n)*per + 256<<20}
}

func validateFolder(p Params) error {
	if err := checkChannels(p); err != nil {
		return err
	}
	if p.Has("resize") && !p.Has("size") {
		return fmt.Errorf("param \"resize\" needs param \"size\" (the crop after resizing)")
	}
	if p.Has("resize") && p.Int("resize") < p.Int("size") {
		return fmt.Errorf("param \"resize\": %d is below size %d, so a size×size crop would not fit", p.Int("resize"), p.Int("size"))
	}
	return nil
}

// folderFiles lists the image files of dir in sorted order; a file that is
// not an image by name, or not a regular file (a FIFO named a.png would
// block the read), is an error, so nothing is silently left out.
func folderFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("param \"path\": %w", err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		if !imaging.IsImageName(name) {
			return nil, fmt.Errorf("%s: unsupported file (the folder source reads %s files only)",
				filepath.Join(dir, name), strings.Join(imaging.Extensions, ", "))
		}
		if !e.Type().IsRegular() {
			if _, err := regular.Stat(filepath.Join(dir, name)); err != nil {
				return nil, err
			}
		}
		files = append(files, name)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("param \"path\": folder %s holds no image files (want %s)", dir, strings.Join(imaging.Extensions, ", "))
	}
	return files, nil
}

func loadFolder(ctx context.Context, p Params) (Outputs, error) {
	dir := p.String("path")
	files, err := folderFiles(dir)
	if err != nil {
		return nil, err
	}
	if p.Has("n") {
		if n := p.Int("n"); n > len(files) {
			return nil, fmt.Errorf("param \"n\": %d, but folder %s holds %d image files", n, dir, len(files))
		}
		files = files[:p.Int("n")]
	}
	out, err := decodeImages(ctx, dir, files, p)
	if err != nil {
		return nil, err
	}
	return Outputs{"images": out, "files": ndarray.Record{"folder": dir, "files": files}}, nil
}

// decodeImages reads files (paths relative to dir) into one normalised
// N×C×H×W stack as params size, resize, crop, seed (file i crops at a spot
// drawn from seed and i), channels, max_pixels and normalize say.
func decodeImages(ctx context.Context, dir string, files []string, p Params) (*ndarray.Array, error) {
	ch, maxPixels := p.Int("channels"), imaging.DefaultMaxPixels
	if p.Has("max_pixels") {
		maxPixels = p.Int("max_pixels")
	}
	var out *ndarray.Array
	for i, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, name)
		img, err := imaging.Decode(path, maxPixels)
		if errors.Is(err, imaging.ErrTooLarge) {
			return nil, fmt.Errorf("%w (param max_pixels)", err)
		}
		if err != nil {
			return nil, err
		}
		m, r, err := folderFrame(img, p, i)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if out == nil {
			out = newImages(len(files), ch, r.Dy(), r.Dx())
		} else if r.Dx() != out.Shape[3] || r.Dy() != out.Shape[2] {
			return nil, fmt.Errorf("%s is %d×%d but %s is %d×%d; set param size to resize and crop them alike",
				path, r.Dx(), r.Dy(), files[0], out.Shape[3], out.Shape[2])
		}
		per := ch * r.Dx() * r.Dy()
		imaging.Planar(out.F32[i*per:(i+1)*per], m, r, ch)
	}
	if err := normalizeImages(out, p); err != nil {
		return nil, err
	}
	return out, nil
}

// folderFrame resizes file i as params size and resize say and returns the
// rectangle to keep: the whole image without size, else the size×size crop.
func folderFrame(img image.Image, p Params, i int) (*image.RGBA, image.Rectangle, error) {
	if !p.Has("size") {
		m := imaging.Canonical(img)
		return m, m.Bounds(), nil
	}
	size, short := p.Int("size"), p.Int("size")
	if p.Has("resize") {
		short = p.Int("resize")
	}
	m := imaging.ResizeShort(img, short)
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	if w < size || h < size {
		// Only a long/short ratio so extreme that rounding makes the short
		// side smaller than size can get here.
		return nil, image.Rectangle{}, fmt.Errorf("%d×%d after resizing, smaller than size %d", w, h, size)
	}
	if p.String("crop") == "random" {
		rng := RNG(fmt.Sprintf("load/folder#%d", i), p.Int("seed"))
		x, y := rng.IntN(w-size+1), rng.IntN(h-size+1)
		return m, image.Rect(x, y, x+size, y+size), nil
	}
	return m, imaging.CenterCrop(w, h, size), nil
}
