package images

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"
)

func TestShortSide(t *testing.T) {
	for _, tc := range []struct{ w, h, short, ww, wh int }{
		{1280, 1024, 600, 750, 600},
		{2560, 1600, 600, 960, 600},
		{6028, 3391, 600, 1067, 600}, // 1066.6 rounds up
		{1024, 1280, 600, 600, 750},
		{100, 100, 64, 64, 64},
		{30, 40, 60, 60, 80}, // upscaling is allowed here; callers decide
		{1000, 1, 1, 1000, 1},
	} {
		if w, h := ShortSide(tc.w, tc.h, tc.short); w != tc.ww || h != tc.wh {
			t.Errorf("ShortSide(%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.short, w, h, tc.ww, tc.wh)
		}
	}
}

func TestCenterCrop(t *testing.T) {
	for _, tc := range []struct {
		w, h, size int
		want       image.Rectangle
	}{
		{64, 64, 64, image.Rect(0, 0, 64, 64)},
		{96, 64, 64, image.Rect(16, 0, 80, 64)},
		{65, 64, 64, image.Rect(0, 0, 64, 64)}, // odd slack: the extra column on the right
		{67, 70, 64, image.Rect(1, 3, 65, 67)},
		{256, 341, 224, image.Rect(16, 58, 240, 282)},
	} {
		if got := CenterCrop(tc.w, tc.h, tc.size); got != tc.want {
			t.Errorf("CenterCrop(%d, %d, %d) = %v, want %v", tc.w, tc.h, tc.size, got, tc.want)
		}
	}
}

// Resizing to the same size is the identity (no resampling), and a
// constant image stays exactly constant at any size, up or down (the
// Catmull-Rom weights are normalised to sum to one).
func TestResizeIdentities(t *testing.T) {
	m := decodeFixture(t, "gradient.png")
	if got := Resize(m, 40, 30); got != m {
		t.Error("Resize to the same size copied or resampled")
	}
	same := Resize(decodeRaw(t, "gradient.jpg"), 40, 30)
	want := Canonical(decodeRaw(t, "gradient.jpg"))
	for i := range same.Pix {
		if same.Pix[i] != want.Pix[i] {
			t.Fatalf("Resize of a YCbCr image to its own size differs from Canonical at byte %d", i)
		}
	}
	c := image.NewRGBA(image.Rect(0, 0, 37, 23))
	for i := 0; i < len(c.Pix); i += 4 {
		c.Pix[i], c.Pix[i+1], c.Pix[i+2], c.Pix[i+3] = 17, 130, 251, 255
	}
	for _, sz := range [][2]int{{5, 3}, {36, 22}, {64, 40}, {100, 7}} {
		r := Resize(c, sz[0], sz[1])
		for y := 0; y < sz[1]; y++ {
			for x := 0; x < sz[0]; x++ {
				if got := r.RGBAAt(x, y); got != (color.RGBA{17, 130, 251, 255}) {
					t.Fatalf("constant image resized to %v: pixel (%d,%d) = %v", sz, x, y, got)
				}
			}
		}
	}
}

// Downscaling a fine checkerboard averages it (the widened kernel), where
// point sampling would keep 0/255 values.
func TestResizeAntialias(t *testing.T) {
	c := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			v := uint8(255 * ((x + y) % 2))
			c.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	r := Resize(c, 8, 8)
	for y := 1; y < 7; y++ {
		for x := 1; x < 7; x++ {
			if v := r.RGBAAt(x, y).R; math.Abs(float64(v)-127.5) > 3 {
				t.Fatalf("8×8 of a checkerboard: pixel (%d,%d) = %d, want ≈ 127.5", x, y, v)
			}
		}
	}
}

func decodeRaw(t testing.TB, name string) image.Image {
	t.Helper()
	img, err := Decode("testdata/"+name, DefaultMaxPixels)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// Resize against PIL 9.4's Image.resize(BICUBIC) (testdata/
// make_resize_goldens.py): the same cubic (a = −0.5), the same support
// widened by the scale factor when shrinking, the same pixel-centre
// mapping. PIL rounds and clips to 8 bits between its two passes and
// x/image does not, so: smooth images and single-pass (one axis) resizes
// agree within 1 level of 255; two-pass resizes of uniform noise, whose
// first pass overshoots [0, 255], within 16 levels at a few pixels and
// 0.5 on average.
func TestResizeGoldenPIL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes [][2]int
		max   int
	}{
		{"gradient", [][2]int{{17, 13}, {40, 30}, {64, 48}, {24, 20}, {7, 31}}, 1},
		{"noise", [][2]int{{17, 40}, {48, 13}, {80, 40}}, 1},
		{"noise", [][2]int{{17, 13}, {40, 30}, {64, 48}, {24, 20}, {7, 31}}, 16},
	} {
		src := decodeFixture(t, tc.name+".png")
		for _, sz := range tc.sizes {
			want := decodeFixture(t, fmt.Sprintf("pil_%s_%dx%d.png", tc.name, sz[0], sz[1]))
			got := Resize(src, sz[0], sz[1])
			worst, sum, n := 0, 0, 0
			for i := range got.Pix {
				if i%4 == 3 {
					continue
				}
				d := int(got.Pix[i]) - int(want.Pix[i])
				worst, sum, n = max(worst, d, -d), sum+max(d, -d), n+1
			}
			mean := float64(sum) / float64(n)
			if worst > tc.max || mean > 0.5 {
				t.Errorf("%s → %d×%d: max |Δ| %d (want ≤ %d), mean |Δ| %.3f (want ≤ 0.5) vs PIL", tc.name, sz[0], sz[1], worst, tc.max, mean)
			}
		}
	}
}
