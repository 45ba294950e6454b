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
	"os"
	"path/filepath"
	"strings"
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

// Decode reads a JPEG, PNG or GIF file (the format is sniffed from the
// bytes, not taken from the name; a GIF gives its first frame) and returns
// it as decoded (Canonical makes it an *image.RGBA). Errors name the file
// and say whether it is empty, truncated, of an unsupported format or
// corrupt.
func Decode(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	img, err := DecodeBytes(data)
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
func DecodeBytes(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file: %w", ErrUnsupported)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, fmt.Errorf("%w (starts with %q)", ErrUnsupported, data[:min(len(data), 8)])
	}
	if err != nil {
		if end := endMarkers[format]; errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasSuffix(data, end) {
			return nil, fmt.Errorf("truncated %s image (%d bytes, no end marker): %v", strings.ToUpper(format), len(data), err)
		}
		return nil, fmt.Errorf("corrupt %s: %w", strings.ToUpper(format), err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("%s image has no pixels (%d×%d)", strings.ToUpper(format), b.Dx(), b.Dy())
	}
	return img, nil
}
