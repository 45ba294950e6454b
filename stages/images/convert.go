package images

import (
	"fmt"
	"image"
	"image/draw"
	"math"
)

// Canonical returns img as an 8-bit *image.RGBA whose bounds start at
// (0, 0): the single form the rest of the package works on. An *image.RGBA
// already at the origin is returned as is, not copied.
func Canonical(img image.Image) *image.RGBA {
	b := img.Bounds()
	if m, ok := img.(*image.RGBA); ok && b.Min == (image.Point{}) {
		return m
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	// draw.Src has fast paths for *image.YCbCr, *image.Gray, *image.NRGBA
	// and paletted sources; transparent pixels become black (premultiplied).
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// BT.601 luma weights (ITU-R BT.601, as JPEG's Y and Go's color.GrayModel).
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// Luma is the BT.601 luma of 8-bit r, g, b on the 0–255 scale; equal
// channels give exactly that value.
func Luma(r, g, b uint8) float32 {
	if r == g && g == b {
		return float32(r)
	}
	return float32(lumaR*float64(r) + lumaG*float64(g) + lumaB*float64(b))
}

// Planar writes the rectangle r of m into dst as channels×H×W float32 in
// the unit range v/255 (a correctly rounded float32 division, as numpy's
// x.astype(float32)/255): R, G, B planes for 3 channels, BT.601 luma for 1.
// dst must hold channels·r.Dx()·r.Dy() values; a wrong length or a
// channel count other than 1 or 3 is a programmer error and panics.
func Planar(dst []float32, m *image.RGBA, r image.Rectangle, channels int) {
	w, h := r.Dx(), r.Dy()
	if (channels != 1 && channels != 3) || len(dst) != channels*w*h || !r.In(m.Bounds()) {
		panic(fmt.Sprintf("images: Planar of %v (in %v) with %d channels into %d values", r, m.Bounds(), channels, len(dst)))
	}
	plane := w * h
	for y := 0; y < h; y++ {
		row := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):]
		o := y * w
		if channels == 3 {
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				dst[o+x] = float32(p[0]) / 255
				dst[plane+o+x] = float32(p[1]) / 255
				dst[2*plane+o+x] = float32(p[2]) / 255
			}
			continue
		}
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+3 : 4*x+3]
			dst[o+x] = Luma(p[0], p[1], p[2]) / 255
		}
	}
}

// LumaStd is the standard deviation (population, 0–255 scale) of the
// BT.601 luma over the rectangle r of m: the "flat patch" statistic of
// DATA.md §1.2 (textured means LumaStd > 8).
func LumaStd(m *image.RGBA, r image.Rectangle) float64 {
	var s, ss float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := m.Pix[m.PixOffset(r.Min.X, y):]
		for x := 0; x < r.Dx(); x++ {
			v := float64(Luma(row[4*x], row[4*x+1], row[4*x+2]))
			s += v
			ss += v * v
		}
	}
	n := float64(r.Dx() * r.Dy())
	mean := s / n
	return math.Sqrt(max(ss/n-mean*mean, 0))
}
