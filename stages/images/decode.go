package images

import (
	"bufio"
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
// it as decoded (Canonical makes it an *image.RGBA). Errors name the file and say whether
// it is empty, truncated, of an unsupported format or corrupt.
func Decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	img, err := DecodeReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// ErrUnsupported is the reason wrapped when bytes are not a JPEG, PNG or GIF.
var ErrUnsupported = errors.New("not a JPEG, PNG or GIF image")

// DecodeReader is Decode on a stream; errors do not name a file.
func DecodeReader(r io.Reader) (image.Image, error) {
	br := bufio.NewReader(r)
	if _, err := br.Peek(1); err == io.EOF {
		return nil, fmt.Errorf("empty file: %w", ErrUnsupported)
	}
	img, format, err := image.Decode(br)
	switch {
	case errors.Is(err, image.ErrFormat):
		head, _ := br.Peek(8)
		return nil, fmt.Errorf("%w (starts with %q)", ErrUnsupported, head)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, fmt.Errorf("truncated %s image: %w", strings.ToUpper(format), io.ErrUnexpectedEOF)
	case err != nil:
		if format == "" {
			format = "image"
		}
		return nil, fmt.Errorf("corrupt %s: %w", strings.ToUpper(format), err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("%s image has no pixels (%d×%d)", strings.ToUpper(format), b.Dx(), b.Dy())
	}
	return img, nil
}
