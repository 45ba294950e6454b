//go:build ignore

// gen_fixtures writes the small image fixtures of stages/images/testdata
// and stages/testdata/images. Run from stages/images/testdata:
//
//	go run gen_fixtures.go
//
// Every file is a deterministic function of this program, so rerunning it
// reproduces the committed bytes (the JPEG encoder of the Go release used
// may differ slightly; the tests only rely on the files decoding).
package main

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

// gradient is a smooth RGB pattern: R along x, G along y, B a checker.
func gradient(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b := uint8(60)
			if (x/4+y/4)%2 == 1 {
				b = 200
			}
			m.SetRGBA(x, y, color.RGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), b, 255})
		}
	}
	return m
}

func encPNG(m image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func encJPEG(m image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func encGIF(m image.Image) []byte {
	p := image.NewPaletted(m.Bounds(), palette.Plan9)
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			p.Set(x, y, m.At(x, y))
		}
	}
	var b bytes.Buffer
	if err := gif.Encode(&b, p, nil); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func write(path string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
}

func main() {
	grey := image.NewGray(image.Rect(0, 0, 20, 10))
	for i := range grey.Pix {
		grey.Pix[i] = uint8(i * 7)
	}
	jpg := encJPEG(gradient(40, 30))
	pngb := encPNG(gradient(40, 30))
	corrupt := bytes.Clone(pngb)
	corrupt[len(corrupt)/2] ^= 0xff // inside IDAT: the zlib/CRC check fails

	// noise.png: uniform random RGB, the hardest case for the resize golden.
	noise := image.NewRGBA(image.Rect(0, 0, 48, 40))
	state := uint32(1)
	for i := range noise.Pix {
		state = state*1664525 + 1013904223 // LCG: reproducible without math/rand
		noise.Pix[i] = uint8(state >> 24)
		if i%4 == 3 {
			noise.Pix[i] = 255
		}
	}
	write("noise.png", encPNG(noise))

	// stages/images/testdata: one file per decoder case.
	write("gradient.png", pngb)
	write("gradient.jpg", jpg)
	write("grey.png", encPNG(grey))
	write("palette.gif", encGIF(gradient(16, 16)))
	write("truncated.jpg", jpg[:len(jpg)/2])
	write("truncated.png", pngb[:len(pngb)/2])
	write("corrupt.png", corrupt)
	write("text.png", []byte("this is a text file, not a PNG\n"))
	write("empty.png", nil)
	write("bitmap.png", append([]byte("BM"), make([]byte, 60)...)) // a BMP header: unsupported

	// stages/testdata/images: folders for the folder source.
	root := filepath.Join("..", "..", "testdata", "images")
	write(filepath.Join(root, "ok", "a.png"), encPNG(gradient(48, 32)))
	write(filepath.Join(root, "ok", "b.jpg"), encJPEG(gradient(32, 40)))
	write(filepath.Join(root, "ok", "c.gif"), encGIF(gradient(36, 36)))
	write(filepath.Join(root, "ok", ".hidden"), []byte("ignored\n"))
	write(filepath.Join(root, "same", "a.png"), encPNG(gradient(24, 16)))
	greyWide := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range greyWide.Pix {
		greyWide.Pix[i] = uint8(i)
	}
	write(filepath.Join(root, "same", "b.png"), encPNG(greyWide))
	write(filepath.Join(root, "same", "c.png"), encPNG(gradient(24, 16)))
	write(filepath.Join(root, "truncated", "a.png"), encPNG(gradient(24, 16)))
	write(filepath.Join(root, "truncated", "b.jpg"), jpg[:len(jpg)/2])
	write(filepath.Join(root, "text", "a.png"), encPNG(gradient(24, 16)))
	write(filepath.Join(root, "text", "b.png"), []byte("this is a text file, not a PNG\n"))
	write(filepath.Join(root, "other", "a.png"), encPNG(gradient(24, 16)))
	write(filepath.Join(root, "other", "notes.txt"), []byte("not an image\n"))
}
