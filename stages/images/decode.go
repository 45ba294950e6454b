package images

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers GIF with image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"path/filepath"
	"strings"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// Extensions are the file name extensions (lower case) the folder source
// reads; any other file in the folder is an error, not silently skipped.
var Extensions = []string{".gif", ".jpeg", ".jpg", ".png"}

// IsImageName reports whether name has one of Extensions (any case).
func IsImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range Extensions {
		if ext == e {
			return true
		}
	}
	return false
}

// DefaultMaxPixels is the pixel budget of the image sources when none is
// set: 100 megapixels, 400 MB as the 8-bit RGBA every image becomes, well
// above any photograph a study feeds a network and well below the
// gigabytes a hostile header can claim.
const DefaultMaxPixels = 100_000_000

// ErrTooLarge is wrapped when an image's header claims more pixels than
// the budget.
var ErrTooLarge = errors.New("image larger than the pixel budget")

// Decode reads a JPEG, PNG or GIF file (the format is sniffed from the
// bytes, not taken from the name; a GIF gives its first frame) and returns
// it as decoded (Canonical makes it an *image.RGBA). A path that is not a
// regular file is refused before it is opened, and an image whose header
// claims more than maxPixels pixels (width × height) before it is decoded.
// Errors name the file and say whether it is empty, truncated, of an
// unsupported format, too large or corrupt.
func Decode(path string, maxPixels int) (image.Image, error) {
	data, err := regular.ReadFile(path)
	if err != nil {
		return nil, err // names the file
	}
	img, err := DecodeBytes(data, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// ErrUnsupported is the reason wrapped when bytes are not a JPEG, PNG or GIF.
var ErrUnsupported = errors.New("not a JPEG, PNG or GIF image")

// endMarkers are the bytes each format's files end with: a file that fails
// to decode and lacks them was cut short, not corrupted inside.
var endMarkers = map[string][]byte{
	"jpeg": {0xff, 0xd9},                                             // EOI
	"png":  {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82}, // IEND chunk
	"gif":  {0x3b},                                                   // trailer
}

// DecodeBytes is Decode on a file's bytes; errors do not name a file.
func DecodeBytes(data []byte, maxPixels int) (image.Image, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file: %w", ErrUnsupported)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, decodeError(err, format, data)
	}
	name := strings.ToUpper(format)
	if px := int64(cfg.Width) * int64(cfg.Height); px > int64(maxPixels) {
		return nil, fmt.Errorf("%s header claims %d×%d = %d pixels: %w of %d", name, cfg.Width, cfg.Height, px, ErrTooLarge, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, decodeError(err, format, data)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("%s image has no pixels (%d×%d)", name, b.Dx(), b.Dy())
	}
	return img, nil
}

// decodeError says why data of the sniffed format failed to decode:
// unsupported, truncated (no end marker) or corrupt.
func decodeError(err error, format string, data []byte) error {
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("%w (starts with %q)", ErrUnsupported, data[:min(len(data), 8)])
	}
	name := strings.ToUpper(format)
	if end := endMarkers[format]; errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasSuffix(data, end) {
		return fmt.Errorf("truncated %s image (%d bytes, no end marker): %v", name, len(data), err)
	}
	return fmt.Errorf("corrupt %s: %w", name, err)
}
