package images

import (
	"image"

	"golang.org/x/image/draw"
)

// Resize scales m to w×h with the Catmull-Rom cubic (a = −0.5), whose
// support x/image/draw widens by the scale factor when shrinking, so
// downscaling averages instead of aliasing (the same filter family as PIL's
// Image.resize(BICUBIC)). The same size returns Canonical(m): no
// resampling at all. Scaling straight from the decoded form (e.g. a JPEG's
// *image.YCbCr) spares a full-size RGBA copy.
func Resize(m image.Image, w, h int) *image.RGBA {
	if m.Bounds().Dx() == w && m.Bounds().Dy() == h {
		return Canonical(m)
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(out, out.Bounds(), m, m.Bounds(), draw.Src, nil)
	return out
}

// ShortSide returns the size of a w×h image scaled so that its shorter side
// is short, the longer side rounded to the nearest pixel (at least 1).
func ShortSide(w, h, short int) (int, int) {
	if w <= h {
		return short, max(1, int(float64(h)*float64(short)/float64(w)+0.5))
	}
	return max(1, int(float64(w)*float64(short)/float64(h)+0.5)), short
}

// ResizeShort scales m so its shorter side is short (up or down).
func ResizeShort(m image.Image, short int) *image.RGBA {
	w, h := ShortSide(m.Bounds().Dx(), m.Bounds().Dy(), short)
	return Resize(m, w, h)
}

// CenterCrop is the size×size square at the centre of a w×h image; when
// w − size is odd the extra column goes to the right (the left offset is
// rounded down), likewise rows to the bottom.
func CenterCrop(w, h, size int) image.Rectangle {
	x, y := (w-size)/2, (h-size)/2
	return image.Rect(x, y, x+size, y+size)
}
