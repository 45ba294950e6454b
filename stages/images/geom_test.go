package images

import (
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
	img, err := Decode("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
