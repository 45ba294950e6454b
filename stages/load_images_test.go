package stages

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/internal/regular"
	"github.com/eigenlab/eigenlab/ndarray"
)

// load merges the parameters of all sources by name, keeping the first
// source's spec: a shared name must therefore be declared alike (type,
// bounds, choices, length, file-ness) or some source's checks are lost.
func TestLoadSharedParamsAgree(t *testing.T) {
	type shape struct {
		Type     ParamType
		Min, Max any
		Choices  []string
		Len      int
		File     bool
	}
	deref := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	first := map[string]string{}
	specs := map[string]shape{}
	for _, src := range sourceNames() {
		for _, p := range sources[src].Params {
			s := shape{p.Type, deref(p.Min), deref(p.Max), p.Choices, p.Len, p.File}
			if prev, ok := specs[p.Name]; ok && !reflect.DeepEqual(prev, s) {
				t.Errorf("param %q: source %s declares %+v, source %s %+v", p.Name, first[p.Name], prev, src, s)
			}
			if _, ok := specs[p.Name]; !ok {
				specs[p.Name], first[p.Name] = s, src
			}
		}
	}
}

// loadErr runs the load stage and returns its error text ("" on success).
func loadErr(t *testing.T, p Params) string {
	t.Helper()
	_, err := runLoad(t, p)
	if err == nil {
		return ""
	}
	return err.Error()
}

func loadImages(t testing.TB, p Params) Outputs {
	t.Helper()
	out, err := runLoad(t, p)
	if err != nil {
		t.Fatalf("%v: %v", p, err)
	}
	a := out["images"].(*ndarray.Array)
	if a.DType() != ndarray.Float32 || len(a.Shape) != 4 || !reflect.DeepEqual(a.Axes, imageAxes) {
		t.Fatalf("%v: images %s axes %v", p, a.Describe(), a.Axes)
	}
	return out
}

func imagesOf(o Outputs) *ndarray.Array { return o["images"].(*ndarray.Array) }

func TestDeadLeavesSource(t *testing.T) {
	base := func() Params { return Params{"source": "deadleaves", "n": 5, "size": 24} }
	a := imagesOf(loadImages(t, base()))
	if a.Describe() != "float32[5 3 24 24]" {
		t.Fatalf("got %s", a.Describe())
	}
	if b := imagesOf(loadImages(t, base())); b.Digest() != a.Digest() {
		t.Error("same params, different bytes")
	}
	p := base()
	p["seed"] = 1
	if imagesOf(loadImages(t, p)).Digest() == a.Digest() {
		t.Error("seed 1 gave the bytes of seed 0")
	}
	p = base()
	p["normalize"] = "symmetric"
	s := imagesOf(loadImages(t, p))
	for i, v := range a.F32 {
		if v < 0 || v > 1 || s.F32[i] != 2*v-1 {
			t.Fatalf("element %d: unit %v, symmetric %v", i, v, s.F32[i])
		}
	}
	p = base()
	p["channels"], p["exponent"], p["rmin"], p["rmax"] = 1, 2.0, 2.0, 8.0
	if g := imagesOf(loadImages(t, p)); g.Describe() != "float32[5 1 24 24]" {
		t.Errorf("grey: %s", g.Describe())
	}
	for _, tc := range []struct {
		set  Params
		want string
	}{
		{Params{"channels": 2}, `param "channels": 2, want 1 (grey) or 3 (RGB)`},
		{Params{"rmin": 4.0, "rmax": 3.0}, "rmax 3, want > rmin 4"},
		{Params{"size": 4}, "rmax 4, want > rmin"}, // default rmax = size
		{Params{"path": "x"}, `param(s) path do not apply to source "deadleaves"`},
	} {
		p := base()
		for k, v := range tc.set {
			p[k] = v
		}
		if tc.set.Has("size") {
			p["rmin"] = 4.0
		}
		if got := loadErr(t, p); !strings.Contains(got, tc.want) {
			t.Errorf("%v: error %q, want %q", tc.set, got, tc.want)
		}
	}
}

const imageFixtures = "testdata/images"

func TestFolderSource(t *testing.T) {
	folder := func(dir string, kv ...any) Params {
		p := Params{"source": "folder", "path": filepath.Join(imageFixtures, dir)}
		for i := 0; i < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	out := loadImages(t, folder("ok", "size", 32))
	a := imagesOf(out)
	if a.Describe() != "float32[3 3 32 32]" {
		t.Fatalf("ok, size 32: %s", a.Describe())
	}
	if files := out["files"].(ndarray.Record)["files"]; !reflect.DeepEqual(files, []string{"a.png", "b.jpg", "c.gif"}) {
		t.Errorf("files %v, want a.png b.jpg c.gif (sorted, .hidden skipped)", files)
	}
	// Without size the images keep their pixels: a.png and c.png are the
	// same gradient, b.png a grey ramp (replicated to 3 channels).
	same := imagesOf(loadImages(t, folder("same")))
	if same.Describe() != "float32[3 3 16 24]" {
		t.Fatalf("same: %s", same.Describe())
	}
	per := 3 * 16 * 24
	for i := 0; i < per; i++ {
		if same.F32[i] != same.F32[2*per+i] {
			t.Fatalf("a.png and c.png differ at %d", i)
		}
	}
	for i := 0; i < 16*24; i++ {
		g := same.F32[per+i]
		if g != float32(uint8(i))/255 || same.F32[per+16*24+i] != g || same.F32[per+2*16*24+i] != g {
			t.Fatalf("grey b.png pixel %d: %v, want %v in all 3 planes", i, g, float32(uint8(i))/255)
		}
	}
	grey := imagesOf(loadImages(t, folder("same", "channels", 1, "n", 3)))
	if grey.Describe() != "float32[3 1 16 24]" || grey.F32[16*24+5] != float32(5)/255 {
		t.Errorf("channels 1: %s", grey.Describe())
	}
	r0 := imagesOf(loadImages(t, folder("ok", "size", 16, "resize", 30, "crop", "random")))
	r0b := imagesOf(loadImages(t, folder("ok", "size", 16, "resize", 30, "crop", "random")))
	r1 := imagesOf(loadImages(t, folder("ok", "size", 16, "resize", 30, "crop", "random", "seed", 1)))
	if r0.Digest() != r0b.Digest() || r0.Digest() == r1.Digest() {
		t.Error("random crops: not deterministic, or the seed changes nothing")
	}
	ok := filepath.Join(imageFixtures, "ok")
	empty := t.TempDir()
	for _, tc := range []struct {
		p    Params
		want string
	}{
		{folder("ok"), "ok/b.jpg is 32×40 but a.png is 48×32; set param size"},
		{folder("truncated", "size", 8), "truncated/b.jpg: truncated JPEG image"},
		{folder("text", "size", 8), `text/b.png: not a JPEG, PNG or GIF image (starts with "this is "`},
		{folder("other", "size", 8), "other/notes.txt: unsupported file (the folder source reads .gif, .jpeg, .jpg, .png files only)"},
		{Params{"source": "folder", "path": empty}, "holds no image files"},
		{folder("absent"), "absent: no such file or directory"},
		{folder("ok", "n", 4), `param "n": 4, but folder ` + ok + " holds 3 image files"},
		{folder("ok", "size", 32, "resize", 16), `param "resize": 16 is below size 32`},
		{folder("ok", "resize", 16), `param "resize" needs param "size"`},
	} {
		if got := loadErr(t, tc.p); !strings.Contains(got, tc.want) {
			t.Errorf("%v:\n got  %q\n want %q", tc.p, got, tc.want)
		}
	}
}

// TestFolderHostileFiles: a FIFO named b.png in the folder is refused by
// name, promptly, when the folder is listed (it would block the read);
// param max_pixels refuses an image whose header claims more pixels,
// naming the file, its claimed size and the param.
func TestFolderHostileFiles(t *testing.T) {
	dir := t.TempDir()
	a, err := os.ReadFile(filepath.Join(imageFixtures, "ok", "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a.png"), a, 0o644)
	fifo := filepath.Join(dir, "b.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := runLoad(t, Params{"source": "folder", "path": dir}); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), fifo+": not a regular file: it is a named pipe") {
			t.Errorf("FIFO b.png: %v, want ErrNotRegular naming it", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FIFO b.png: still reading after 5 s")
	}
	ok := filepath.Join(imageFixtures, "ok")
	want := ok + "/a.png: PNG header claims 48×32 = 1536 pixels: image larger than the pixel budget of 1535 (param max_pixels)"
	if got := loadErr(t, Params{"source": "folder", "path": ok, "max_pixels": 1535}); got != want {
		t.Errorf("max_pixels 1535:\n got  %s\n want %s", got, want)
	}
	if got := loadErr(t, Params{"source": "folder", "path": ok, "size": 8, "max_pixels": 48 * 32}); got != "" {
		t.Errorf("max_pixels 1536, the largest file's 48×32: %s", got)
	}
}

// ImageNet normalisation of the folder source against hand computation.
func TestFolderImageNet(t *testing.T) {
	p := Params{"source": "folder", "path": filepath.Join(imageFixtures, "same"), "normalize": "imagenet"}
	u := imagesOf(loadImages(t, Params{"source": "folder", "path": p["path"]}))
	z := imagesOf(loadImages(t, p))
	mean, std := []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	plane := 16 * 24
	for i, v := range u.F32 {
		c := (i / plane) % 3
		if want := (v - mean[c]) / std[c]; abs32(z.F32[i]-want) > 1e-5 {
			t.Fatalf("element %d: %v, want %v", i, z.F32[i], want)
		}
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// Missing photos tell the user what to install.
func TestPhotosMissing(t *testing.T) {
	defer func(r string) { photoRoot = r }(photoRoot)
	photoRoot = t.TempDir()
	got := loadErr(t, Params{"source": "photos", "n": 10})
	for _, want := range []string{"28 of the 28 photos are missing", "run `make data`", "mate-backgrounds", "plasma-workspace-wallpapers"} {
		if !strings.Contains(got, want) {
			t.Errorf("error %q lacks %q", got, want)
		}
	}
}

func havePhotos(t testing.TB) {
	for _, p := range []string{"/usr/share/backgrounds/mate/nature/Aqua.jpg", "/usr/share/wallpapers/Grey/contents/images/2560x1600.jpg"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("wallpaper packages not installed (make data): %v", err)
		}
	}
}

// Patches of the 9 test photos: n shared evenly, grouped by photo, the
// photo index recorded, textured when min_std asks; the same params give
// the same bytes.
func TestPhotosSource(t *testing.T) {
	havePhotos(t)
	p := Params{"source": "photos", "n": 20, "patch": 32, "scale": 256, "split": "test", "min_std": 8.0, "sampling": "grid"}
	out := loadImages(t, p)
	a, photo := imagesOf(out), out["photo"].(*ndarray.Array)
	if a.Describe() != "float32[20 3 32 32]" || photo.Describe() != "int64[20]" {
		t.Fatalf("got %s, %s", a.Describe(), photo.Describe())
	}
	// 20 = 9·2 + 2: the first two test photos (3 and 7) take 3 patches.
	want := []int64{3, 3, 3, 7, 7, 7, 11, 11, 15, 15, 19, 19, 23, 23, 27, 27, 31, 31, 35, 35}
	if !reflect.DeepEqual(photo.I64, want) {
		t.Errorf("photo per patch %v, want %v", photo.I64, want)
	}
	rec := out["photos"].(ndarray.Record)
	if len(rec["sha256"].([]string)) != 9 || rec["split"] != "test" {
		t.Errorf("record %v", rec)
	}
	for k := 0; k < 20; k++ {
		var s, ss float64
		for i := 0; i < 32*32; i++ {
			v := 255 * (0.299*float64(a.F32[k*3*1024+i]) + 0.587*float64(a.F32[k*3*1024+1024+i]) + 0.114*float64(a.F32[k*3*1024+2048+i]))
			s, ss = s+v, ss+v*v
		}
		if sd := math.Sqrt(ss/1024 - (s/1024)*(s/1024)); sd <= 7.9 {
			t.Errorf("patch %d has luma sd %.2f, want > 8", k, sd)
		}
	}
	q := Params{"source": "photos", "n": 3, "patch": 16, "scale": 0, "split": "train", "channels": 1, "normalize": "symmetric"}
	b1, b2 := imagesOf(loadImages(t, q)), imagesOf(loadImages(t, q))
	if b1.Describe() != "float32[3 1 16 16]" || b1.Digest() != b2.Digest() {
		t.Errorf("native grey patches: %s, deterministic %v", b1.Describe(), b1.Digest() == b2.Digest())
	}
	for _, v := range b1.F32 {
		if v < -1 || v > 1 {
			t.Fatalf("symmetric value %v", v)
		}
	}
}

// BenchmarkPhotos cuts 2,000 random 64×64 patches from the 28 training
// photos downscaled to a 600 px short side: decoding dominates.
func BenchmarkPhotos(b *testing.B) {
	havePhotos(b)
	p := Params{"source": "photos", "n": 2000}
	for i := 0; i < b.N; i++ {
		loadImages(b, p)
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "patches/s")
}

// BenchmarkDeadLeavesSource is the embedded default: 2,000 RGB 64×64 images.
func BenchmarkDeadLeavesSource(b *testing.B) {
	p := Params{"source": "deadleaves", "n": 2000}
	for i := 0; i < b.N; i++ {
		loadImages(b, p)
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "images/s")
}
