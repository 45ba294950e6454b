package images

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// IDX is an unsigned-byte array read from an IDX file, the format of
// (fashion-)MNIST: a 4-byte magic 0x00 0x00 0x08 ndims, ndims big-endian
// uint32 sizes, then the bytes in C order.
type IDX struct {
	Dims []int
	Data []byte
}

// Magic is the IDX magic number of an unsigned-byte array of ndims
// dimensions: 0x801 for labels (1-d), 0x803 for images (3-d).
func Magic(ndims int) uint32 { return 0x800 | uint32(ndims) }

// maxIDXBytes bounds the declared size of an IDX array, so a corrupt
// header cannot make the reader ask for terabytes (fashion-mnist's largest
// file holds 47 MB).
const maxIDXBytes = 1 << 32

// ReadIDX reads an IDX array of unsigned bytes with ndims dimensions.
// Errors say what was found and what was wanted: a bad magic number, a
// size overflow, a truncated body or trailing bytes.
func ReadIDX(r io.Reader, ndims int) (*IDX, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("truncated IDX header (%w)", io.ErrUnexpectedEOF)
	}
	magic := binary.BigEndian.Uint32(head[:])
	if magic != Magic(ndims) {
		return nil, fmt.Errorf("IDX magic %#08x, want %#08x (unsigned bytes, %d dimensions)", magic, Magic(ndims), ndims)
	}
	dims := make([]int, ndims)
	total := uint64(1)
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("truncated IDX header: %d of %d sizes (%w)", i, ndims, io.ErrUnexpectedEOF)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		total *= uint64(dims[i])
		if total > maxIDXBytes {
			return nil, fmt.Errorf("IDX sizes %v exceed %d bytes", dims[:i+1], uint64(maxIDXBytes))
		}
	}
	// Read what is there rather than allocate the declared size up front:
	// a truncated or lying file then costs only its real length.
	data, err := io.ReadAll(io.LimitReader(r, int64(total)+1))
	if err != nil {
		// A gzip stream cut short or failing its checksum lands here.
		return nil, fmt.Errorf("reading IDX body after %d bytes (truncated or corrupt compressed file?): %w", len(data), err)
	}
	switch {
	case uint64(len(data)) < total:
		return nil, fmt.Errorf("truncated IDX body: %d of %d bytes for sizes %v (%w)", len(data), total, dims, io.ErrUnexpectedEOF)
	case uint64(len(data)) > total:
		return nil, fmt.Errorf("IDX body longer than the %d bytes its sizes %v declare", total, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// ReadIDXFile reads an IDX file, gunzipping it when it starts with the
// gzip magic (whatever its name); errors name the file.
func ReadIDXFile(path string, ndims int) (*IDX, error) {
	f, _, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	x, err := ReadIDX(r, ndims)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}
