package images

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds an IDX file of unsigned bytes with the given sizes.
func idxBytes(magic uint32, dims []uint32, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(body)
	return b.Bytes()
}

func TestReadIDX(t *testing.T) {
	body := []byte{1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		name  string
		data  []byte
		ndims int
		dims  []int
		err   string
	}{
		{"images", idxBytes(0x803, []uint32{1, 2, 3}, body), 3, []int{1, 2, 3}, ""},
		{"labels", idxBytes(0x801, []uint32{6}, body), 1, []int{6}, ""},
		{"empty", idxBytes(0x801, []uint32{0}, nil), 1, []int{0}, ""},
		{"no header", nil, 3, nil, "truncated IDX header"},
		{"short header", idxBytes(0x803, []uint32{1}, nil), 3, nil, "truncated IDX header: 1 of 3 sizes"},
		{"labels as images", idxBytes(0x801, []uint32{6}, body), 3, nil, "IDX magic 0x00000801, want 0x00000803"},
		{"float data", idxBytes(0xd03, []uint32{1, 2, 3}, body), 3, nil, "want 0x00000803"},
		{"gzip not opened", []byte{0x1f, 0x8b, 8, 0}, 1, nil, "IDX magic 0x1f8b0800"},
		{"truncated body", idxBytes(0x803, []uint32{1, 2, 3}, body[:4]), 3, nil, "truncated IDX body: 4 of 6 bytes"},
		{"trailing bytes", idxBytes(0x801, []uint32{5}, body), 1, nil, "longer than the 5 bytes"},
		{"huge sizes", idxBytes(0x803, []uint32{1 << 31, 1 << 31, 4}, nil), 3, nil, "exceed"},
	} {
		x, err := ReadIDX(bytes.NewReader(tc.data), tc.ndims)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(x.Dims) != len(tc.dims) || len(x.Data) != len(body) && tc.dims[0] != 0 {
			t.Errorf("%s: got %v (%d bytes)", tc.name, x.Dims, len(x.Data))
		}
		for i := range tc.dims {
			if x.Dims[i] != tc.dims[i] {
				t.Errorf("%s: dims %v, want %v", tc.name, x.Dims, tc.dims)
			}
		}
	}
}

// Files: gzip is recognised by its magic whatever the name, a truncated
// gzip stream is an error, and every error names the file.
func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	raw := idxBytes(0x803, []uint32{2, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	files := map[string][]byte{
		"plain-idx3-ubyte":     raw,
		"packed-idx3-ubyte.gz": gz.Bytes(),
		"noext":                gz.Bytes(),
		"cut-idx3-ubyte.gz":    gz.Bytes()[:gz.Len()-6],
		"badgz-idx3-ubyte.gz":  append([]byte{0x1f, 0x8b}, make([]byte, 20)...),
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	for _, tc := range []struct{ name, err string }{
		{"plain-idx3-ubyte", ""},
		{"packed-idx3-ubyte.gz", ""},
		{"noext", ""},
		{"cut-idx3-ubyte.gz", "truncated or corrupt compressed file"},
		{"badgz-idx3-ubyte.gz", "corrupt gzip"},
		{"missing.gz", "no such file"},
	} {
		path := filepath.Join(dir, tc.name)
		x, err := ReadIDXFile(path, 3)
		if tc.err == "" {
			if err != nil || x.Data[7] != 7 {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want %q naming the file", tc.name, err, tc.err)
		}
	}
}

// The real files of Debian's dataset-fashion-mnist, when installed.
func TestReadIDXFashionMNIST(t *testing.T) {
	const dir = "/usr/share/datasets/fashion-mnist"
	path := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("dataset-fashion-mnist not installed (make data): %v", err)
	}
	lb, err := ReadIDXFile(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ReadIDXFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if lb.Dims[0] != 10000 || im.Dims[0] != 10000 || im.Dims[1] != 28 || im.Dims[2] != 28 {
		t.Fatalf("dims %v and %v", lb.Dims, im.Dims)
	}
	var count [10]int
	for _, l := range lb.Data {
		count[l]++
	}
	for c, k := range count {
		if k != 1000 {
			t.Errorf("class %d has %d test images, want 1000", c, k)
		}
	}
}

// FuzzIDX: no input makes the reader panic or return data that disagrees
// with its sizes.
func FuzzIDX(f *testing.F) {
	f.Add(idxBytes(0x803, []uint32{1, 2, 3}, []byte{1, 2, 3, 4, 5, 6}), 3)
	f.Add(idxBytes(0x801, []uint32{2}, []byte{1, 2}), 1)
	f.Add(idxBytes(0x803, []uint32{1 << 20, 1 << 20, 1}, nil), 3)
	f.Add([]byte{0, 0, 8}, 1)
	f.Fuzz(func(t *testing.T, data []byte, ndims int) {
		ndims = 1 + (ndims&0xff)%4
		x, err := ReadIDX(bytes.NewReader(data), ndims)
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if len(x.Dims) != ndims || len(x.Data) != n {
			t.Fatalf("dims %v with %d bytes", x.Dims, len(x.Data))
		}
	})
}
