package images

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// Planar writes R, G, B planes or BT.601 luma on the unit range, over the
// requested rectangle only.
func TestPlanar(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 3, 2))
	cols := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {10, 10, 10, 255}, {51, 102, 204, 255}, {255, 255, 255, 255}}
	for i, c := range cols {
		m.SetRGBA(i%3, i/3, c)
	}
	rgb := make([]float32, 3*6)
	Planar(rgb, m, m.Bounds(), 3)
	for i, c := range cols {
		for ch, v := range []uint8{c.R, c.G, c.B} {
			if got, want := rgb[ch*6+i], float32(v)/255; got != want {
				t.Errorf("pixel %d channel %d = %v, want %v", i, ch, got, want)
			}
		}
	}
	grey := make([]float32, 6)
	Planar(grey, m, m.Bounds(), 1)
	want := []float64{0.299, 0.587, 0.114, 10.0 / 255, (0.299*51 + 0.587*102 + 0.114*204) / 255, 1}
	for i := range want {
		if math.Abs(float64(grey[i])-want[i]) > 1e-6 {
			t.Errorf("luma of pixel %d = %v, want %v", i, grey[i], want[i])
		}
	}
	if grey[3] != float32(10)/255 || grey[5] != 1 {
		t.Errorf("grey pixels are not exact: %v %v", grey[3], grey[5])
	}
	sub := make([]float32, 2)
	Planar(sub, m, image.Rect(1, 1, 3, 2), 1)
	if sub[0] != grey[4] || sub[1] != grey[5] {
		t.Errorf("sub-rectangle luma = %v, want %v", sub, grey[4:6])
	}
}

// A grey image gives three identical planes: replication, exactly.
func TestPlanarGreyReplicates(t *testing.T) {
	m := decodeFixture(t, "grey.png")
	pix := make([]float32, 3*200)
	Planar(pix, m, m.Bounds(), 3)
	for i := 0; i < 200; i++ {
		if pix[i] != pix[200+i] || pix[i] != pix[400+i] || pix[i] != float32(uint8(i*7))/255 {
			t.Fatalf("pixel %d: %v %v %v", i, pix[i], pix[200+i], pix[400+i])
		}
	}
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		mode     Normalization
		channels int
		in, want []float32
	}{
		{Unit, 3, []float32{0, 0.5, 1}, []float32{0, 0.5, 1}},
		{Symmetric, 1, []float32{0, 0.25, 0.5, 1}, []float32{-1, -0.5, 0, 1}},
		{ImageNet, 3, []float32{0.485, 0.456 + 0.224, 0.406 - 2*0.225},
			[]float32{0, 1, -2}},
		{ImageNet, 1, []float32{0.45897, 0.45897 + 0.22561}, []float32{0, 1}},
	} {
		pix := append([]float32(nil), tc.in...)
		plane := len(pix) / tc.channels
		if err := Normalize(pix, tc.channels, plane, tc.mode); err != nil {
			t.Fatal(err)
		}
		for i := range pix {
			if math.Abs(float64(pix[i]-tc.want[i])) > 1e-4 {
				t.Errorf("%s: %v -> %v, want %v", tc.mode, tc.in, pix, tc.want)
				break
			}
		}
	}
	if err := Normalize(make([]float32, 4), 2, 2, ImageNet); err == nil {
		t.Error("imagenet on 2 channels: no error")
	}
	if err := Normalize(make([]float32, 4), 1, 4, "zscore"); err == nil {
		t.Error("unknown normalisation: no error")
	}
}

func TestLumaStd(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 4, 1))
	for x, v := range []uint8{0, 0, 100, 100} {
		m.SetRGBA(x, 0, color.RGBA{v, v, v, 255})
	}
	if got := LumaStd(m, m.Bounds()); math.Abs(got-50) > 1e-9 {
		t.Errorf("LumaStd = %v, want 50", got)
	}
	if got := LumaStd(m, image.Rect(0, 0, 2, 1)); got != 0 {
		t.Errorf("LumaStd of a flat patch = %v", got)
	}
}
