package ndarray

import (
	"archive/zip"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// ReadNPZFile reads array key (entry key or key.npy) of the .npz at
// path, checking the entry's claimed size against the archive's before
// its header is checked against the entry's (ReadNPY); errors name the
// file and the key.
func ReadNPZFile(path, key string) (*Array, error) {
	f, info, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNPZ(f, info.Size(), path, key)
}

// ReadNPZ is ReadNPZFile on the archive r of size bytes, which errors
// call name.
func ReadNPZ(r io.ReaderAt, size int64, name, key string) (*Array, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz archive: %w", name, err)
	}
	var entry *zip.File
	keys := make([]string, len(z.File))
	for i, e := range z.File {
		keys[i] = strings.TrimSuffix(e.Name, ".npy")
		if e.Name == key || e.Name == key+".npy" && entry == nil {
			entry = e
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("%s: no array %q; the archive holds %v", name, key, keys)
	}
	er, esize, err := OpenNPZEntry(entry, size)
	if err != nil {
		return nil, fmt.Errorf("%s[%s]: %w", name, key, err)
	}
	defer er.Close()
	a, err := ReadNPY(er, esize)
	if err != nil {
		return nil, fmt.Errorf("%s[%s]: %w", name, key, err)
	}
	return a, nil
}

// maxDeflateRatio is the most deflate can expand its input: one 2-bit
// code for a 258-byte match gives about 1032:1.
const maxDeflateRatio = 1032

// OpenNPZEntry opens an entry of an archive of archiveSize bytes after
// checking that the uncompressed size it claims, which ReadNPY will trust
// for its allocation, could come out of the bytes it claims to hold:
// archive/zip then fails the read if the real size differs.
func OpenNPZEntry(f *zip.File, archiveSize int64) (io.ReadCloser, int64, error) {
	packed, size := f.CompressedSize64, f.UncompressedSize64
	ok := packed <= uint64(archiveSize) && size <= math.MaxInt64
	switch f.Method {
	case zip.Store:
		ok = ok && size == packed
	case zip.Deflate:
		ok = ok && size/maxDeflateRatio <= packed
	}
	if !ok {
		return nil, 0, fmt.Errorf("entry claims %d bytes from %d stored in a %d-byte archive (method %d): impossible", size, packed, archiveSize, f.Method)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, err
	}
	return rc, int64(size), nil
}

// NumpyShape formats a shape as numpy prints it: (10, 32, 32, 3), (10,).
func NumpyShape(shape []int) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	if len(shape) == 1 {
		return "(" + dims[0] + ",)"
	}
	return "(" + strings.Join(dims, ", ") + ")"
}
