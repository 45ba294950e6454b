package images

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/internal/regular"
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
		img, err := Decode(path, DefaultMaxPixels)
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
	_, err := Decode(filepath.Join("testdata", "text.png"), DefaultMaxPixels)
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
	img, err := Decode(filepath.Join("testdata", name), DefaultMaxPixels)
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
	if _, err := Decode(dir, DefaultMaxPixels); err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("decoding a folder: %v", err)
	}
}

// bombPNG is an 8×8 grey PNG whose header claims w×h: 10 GB to decode
// at 100000².
func bombPNG(t testing.TB, w, h uint32) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// signature(8), length(4), "IHDR"(4), width(4), height(4), ..., CRC
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// bombJPEG is an 8×8 grey JPEG of a few hundred bytes whose frame header
// claims w×h: 4.3 GB to decode at 65500².
func bombJPEG(t testing.TB, w, h uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	sof := bytes.Index(b, []byte{0xff, 0xc0})
	// FF C0, length(2), precision(1), height(2), width(2)
	binary.BigEndian.PutUint16(b[sof+5:], h)
	binary.BigEndian.PutUint16(b[sof+7:], w)
	return b
}

// TestDecodeBombs: an image whose header claims more pixels than the
// budget is refused before it is decoded, by name and claimed size; the
// same bytes under a budget that fits them decode (they are not corrupt
// by construction), and the check is on width × height, not a side.
func TestDecodeBombs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"bomb.png", bombPNG(t, 100000, 100000), "PNG header claims 100000×100000 = 10000000000 pixels: image larger than the pixel budget of 100000000"},
		{"bomb.jpg", bombJPEG(t, 65500, 65500), "JPEG header claims 65500×65500 = 4290250000 pixels: image larger than the pixel budget of 100000000"},
		{"wide.png", bombPNG(t, 1<<31-1, 1), "PNG header claims 2147483647×1 = 2147483647 pixels"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Decode(path, DefaultMaxPixels)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), path+": "+tc.want) {
			t.Errorf("%s (%d bytes): %v\nwant %s: %s", tc.name, len(tc.data), err, path, tc.want)
		}
	}
	small := bombPNG(t, 8, 8)
	if img, err := DecodeBytes(small, 64); err != nil || img.Bounds().Dx() != 8 {
		t.Errorf("8×8 PNG under a budget of 64 pixels: %v", err)
	}
	if _, err := DecodeBytes(small, 63); !errors.Is(err, ErrTooLarge) {
		t.Errorf("8×8 PNG under a budget of 63 pixels: %v", err)
	}
}

// TestDecodeNonRegular: a FIFO named a.png and a device are refused by
// name, promptly, instead of blocking or reading forever.
func TestDecodeNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "a.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() { _, err := Decode(path, DefaultMaxPixels); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v, want ErrNotRegular naming the file", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still reading after 5 s", path)
		}
	}
}

// FuzzDecode: no bytes make the decoder panic or return an image beyond
// the pixel budget or without pixels. The seed corpus is the image bombs
// of the fault campaign (testdata/fuzz/FuzzDecode, written by bombPNG and
// bombJPEG) and the fixtures.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"gradient.png", "gradient.jpg", "palette.gif", "grey.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	const budget = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeBytes(data, budget)
		if err != nil {
			return
		}
		if b := img.Bounds(); b.Empty() || b.Dx()*b.Dy() > budget {
			t.Fatalf("decoded %v under a budget of %d pixels", b, budget)
		}
	})
}
