package images

import (
	"errors"
	"image"
	"path/filepath"
	"strings"
	"testing"
)

// Each fixture decodes to its size, or fails with an error that names the
// file and says what is wrong.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		file string
		w, h int
		err  string // substring of the error after the file name
	}{
		{file: "gradient.png", w: 40, h: 30},
		{file: "gradient.jpg", w: 40, h: 30},
		{file: "grey.png", w: 20, h: 10},
		{file: "palette.gif", w: 16, h: 16},
		{file: "truncated.jpg", err: "truncated JPEG image"},
		{file: "truncated.png", err: "truncated PNG image"},
		{file: "corrupt.png", err: "corrupt PNG"},
		{file: "text.png", err: `not a JPEG, PNG or GIF image (starts with "this is "`},
		{file: "empty.png", err: "empty file: not a JPEG, PNG or GIF image"},
		{file: "bitmap.png", err: "not a JPEG, PNG or GIF image"},
		{file: "missing.png", err: "no such file"},
	} {
		path := filepath.Join("testdata", tc.file)
		img, err := Decode(path)
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), "open "+path) && !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got error %v, want %q naming the file", tc.file, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %v, want %d×%d", tc.file, b, tc.w, tc.h)
		}
	}
	_, err := Decode(filepath.Join("testdata", "text.png"))
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("text.png: %v does not wrap ErrUnsupported", err)
	}
}

// The lossless fixtures decode to exactly what gen_fixtures.go wrote, and
// Canonical keeps grey as R = G = B.
func TestDecodeExact(t *testing.T) {
	m := decodeFixture(t, "gradient.png")
	if got := m.RGBAAt(39, 29); got.R != 255 || got.G != 255 || got.B != 60 || got.A != 255 {
		t.Errorf("gradient.png (39,29) = %v, want {255 255 60 255}", got)
	}
	if got := m.RGBAAt(0, 0); got.R != 0 || got.G != 0 || got.B != 60 {
		t.Errorf("gradient.png (0,0) = %v, want {0 0 60 255}", got)
	}
	g := decodeFixture(t, "grey.png")
	for i := 0; i < 200; i++ {
		c := g.RGBAAt(i%20, i/20)
		if want := uint8(i * 7); c.R != want || c.G != want || c.B != want {
			t.Fatalf("grey.png pixel %d = %v, want grey %d", i, c, want)
		}
	}
}

func decodeFixture(t testing.TB, name string) *image.RGBA {
	t.Helper()
	img, err := Decode(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Canonical(img)
}

func TestIsImageName(t *testing.T) {
	for name, want := range map[string]bool{"a.png": true, "B.JPG": true, "c.jpeg": true, "d.GIF": true,
		"e.bmp": false, "f.webp": false, "notes.txt": false, "png": false} {
		if IsImageName(name) != want {
			t.Errorf("IsImageName(%q) = %v", name, !want)
		}
	}
}

// A folder is not an image; the error still names it.
func TestDecodeFolder(t *testing.T) {
	dir := t.TempDir()
	if _, err := Decode(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("decoding a folder: %v", err)
	}
}
