package images

import (
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// The curated list is DATA.md §1.2's: 37 distinct JPEG paths in sorted
// order, 12 + 13 + 1 + 11 per package; the split rule gives 28 train and 9
// test photos, disjoint, covering all.
func TestPhotoList(t *testing.T) {
	if len(Photos) != 37 {
		t.Fatalf("%d photos, want 37", len(Photos))
	}
	perPkg := map[string]int{}
	for i, p := range Photos {
		if i > 0 && Photos[i-1].Path >= p.Path {
			t.Errorf("not sorted or duplicate: %s, %s", Photos[i-1].Path, p.Path)
		}
		if !strings.HasSuffix(p.Path, ".jpg") {
			t.Errorf("%s is not a .jpg", p.Path)
		}
		perPkg[p.Package]++
	}
	want := map[string]int{"mate-backgrounds": 12, "lomiri-wallpapers-16.04": 13, "lomiri-wallpapers-20.04": 1, "plasma-workspace-wallpapers": 11}
	for pk, n := range want {
		if perPkg[pk] != n {
			t.Errorf("%s: %d photos, want %d", pk, perPkg[pk], n)
		}
	}
	train, _ := PhotoSplit("train")
	test, _ := PhotoSplit("test")
	all, _ := PhotoSplit("all")
	if len(train) != 28 || len(test) != 9 || len(all) != 37 {
		t.Fatalf("split sizes %d/%d/%d, want 28/9/37", len(train), len(test), len(all))
	}
	seen := map[int]bool{}
	for _, i := range append(train, test...) {
		if seen[i] {
			t.Fatalf("photo %d in both splits", i)
		}
		seen[i] = true
	}
	if test[0] != 3 || test[8] != 35 {
		t.Errorf("test photos %v, want 3, 7, ..., 35", test)
	}
	if _, err := PhotoSplit("val"); err == nil {
		t.Error("split val accepted")
	}
}

// stripes is a w×h image whose left half is flat and right half striped.
func stripes(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(128)
			if x >= w/2 && x%2 == 0 {
				v = 255
			}
			m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
		}
	}
	return m
}

// Grid patches are distinct cells of the centred grid; min_std keeps only
// textured ones; random patches lie inside; shortfalls are errors.
func TestSamplePatches(t *testing.T) {
	m := stripes(70, 45) // a 4×2 grid of 16² cells, offset (3, 6)
	rng := rand.New(rand.NewPCG(1, 1))
	rects, err := SamplePatches(m, 8, PatchOptions{Size: 16, Grid: true}, rng)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[image.Rectangle]bool{}
	for _, r := range rects {
		if (r.Min.X-3)%16 != 0 || (r.Min.Y-6)%16 != 0 || r.Dx() != 16 || !r.In(m.Bounds()) || seen[r] {
			t.Errorf("grid patch %v", r)
		}
		seen[r] = true
	}
	rects, err = SamplePatches(m, 4, PatchOptions{Size: 16, Grid: true, MinStd: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rects {
		if r.Min.X < 35 || LumaStd(m, r) <= 8 {
			t.Errorf("flat patch %v kept", r)
		}
	}
	if _, err := SamplePatches(m, 5, PatchOptions{Size: 16, Grid: true, MinStd: 8}, rng); err == nil ||
		!strings.Contains(err.Error(), "only 4 of the 8 grid patches") {
		t.Errorf("5 textured grid patches of 4: %v", err)
	}
	rects, err = SamplePatches(m, 50, PatchOptions{Size: 16, MinStd: 8}, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rects {
		if !r.In(m.Bounds()) || LumaStd(m, r) <= 8 {
			t.Errorf("random patch %v", r)
		}
	}
	if _, err := SamplePatches(m, 1, PatchOptions{Size: 46}, rng); err == nil {
		t.Error("a 46² patch of a 70×45 image: no error")
	}
	if _, err := SamplePatches(stripes(32, 32), 3, PatchOptions{Size: 8, MinStd: 200}, rng); err == nil {
		t.Error("min_std above any patch: no error")
	}
}

// Every curated photo that is installed decodes (36 to YCbCr, Grey to
// Gray per DATA.md); only their headers are read, to stay fast.
func TestPhotosInstalled(t *testing.T) {
	for _, p := range Photos {
		f, err := os.Open(p.Path)
		if err != nil {
			t.Skipf("%s missing (make data installs %s): %v", p.Path, p.Package, err)
		}
		cfg, format, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || format != "jpeg" || min(cfg.Width, cfg.Height) < 1024 {
			t.Errorf("%s: %v %s %d×%d", p.Path, err, format, cfg.Width, cfg.Height)
		}
	}
}
