package ndarray

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// craftNPY returns a .npy with the given header dict (padded as numpy
// pads it), of the given version, claiming header length hlen (0: the
// true one), followed by payload.
func craftNPY(dict string, version byte, hlen uint32, payload []byte) []byte {
	pre := 10
	if version > 1 {
		pre = 12
	}
	body := dict + strings.Repeat(" ", (64-(pre+len(dict)+1)%64)%64) + "\n"
	if hlen == 0 {
		hlen = uint32(len(body))
	}
	b := append([]byte(npyMagic), version, 0)
	if version > 1 {
		b = binary.LittleEndian.AppendUint32(b, hlen)
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	}
	return append(append(b, body...), payload...)
}

func f4Dict(shape string) string {
	return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
}

// hostileNPYs are the headers of the fault campaign (issue 12) that
// crashed, exhausted memory or were accepted into the cache, each with 64
// bytes of payload, and the text its error must hold besides the file.
var hostileNPYs = []struct {
	name string
	npy  []byte
	want string
}{
	{"1e8 x 1e8", craftNPY(f4Dict("(100000000, 100000000)"), 1, 0, make([]byte, 64)),
		"<f4 (100000000, 100000000) needs 40000000000000000 bytes after its 128-byte header, but the file has 192 bytes (64 after the header): truncated"},
	{"3e6 x 1e5", craftNPY(f4Dict("(3000000, 100000)"), 1, 0, make([]byte, 64)),
		"<f4 (3000000, 100000) needs 1200000000000 bytes after its 128-byte header, but the file has 192 bytes (64 after the header): truncated"},
	{"2^62 x 4", craftNPY(f4Dict("(4611686018427387904, 4)"), 1, 0, make([]byte, 64)),
		"shape (4611686018427387904, 4) of <f4: more than 2^63 bytes (the file has 192 bytes)"},
	{"2^62 x 4, no payload", craftNPY(f4Dict("(4611686018427387904, 4)"), 1, 0, nil),
		"shape (4611686018427387904, 4) of <f4: more than 2^63 bytes (the file has 128 bytes)"},
	{"2^62 x 4 x 1 x 2^62", craftNPY(f4Dict("(4611686018427387904, 4, 1, 4611686018427387904)"), 1, 0, make([]byte, 64)),
		"more than 2^63 bytes (the file has 192 bytes)"},
	{"-40 x -20", craftNPY(f4Dict("(-40, -20)"), 1, 0, make([]byte, 3200)),
		"shape (-40, -20): negative dimension -40 (the file has 3328 bytes)"},
	{"header length 0xFFFFFFF0", craftNPY(f4Dict("(4,)"), 2, 0xFFFFFFF0, make([]byte, 16)),
		"the header claims 4294967280 bytes, but only 132 follow the 12-byte preamble"},
	{"header length 10", craftNPY(f4Dict("(4,)"), 1, 10, make([]byte, 16)),
		"header does not end in a newline"},
	{"shape not closed", craftNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (4, }", 1, 0, make([]byte, 16)),
		"shape is not a (...) tuple"},
	{"keys reordered, one missing", craftNPY("{'shape': (4,), 'descr': '<f4'}", 1, 0, make([]byte, 16)),
		`no key "fortran_order"`},
	{"dimension past int64", craftNPY(f4Dict("(99999999999999999999,)"), 1, 0, nil),
		`dimension "99999999999999999999" is not an integer`},
	{"trailing bytes", craftNPY(f4Dict("(4,)"), 1, 0, make([]byte, 20)),
		"<f4 (4,) needs 16 bytes after its 128-byte header, but the file has 148 bytes (20 after the header): trailing bytes"},
}

// TestHostileNPYHeaders: every header of the fault campaign is refused,
// before anything is allocated from it, by every reader of .npy bytes —
// the .npy and .npz file readers (the npy and npz sources), the stream
// reader, header peek and digest (the cache's decoder and verifier), and
// the streaming ArrayFile — with an error naming the file, the claimed
// shape and the real size. (A model blob's weights: stages' model tests.)
func TestHostileNPYHeaders(t *testing.T) {
	for _, tc := range hostileNPYs {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.npy")
			if err := os.WriteFile(path, tc.npy, 0o644); err != nil {
				t.Fatal(err)
			}
			npz := filepath.Join(dir, "x.npz")
			writeZip(t, npz, map[string][]byte{"x.npy": tc.npy})
			check := func(what string, err error, name string) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), name) {
					t.Errorf("%s: %v\nwant an error naming %s and saying %q", what, err, name, tc.want)
				}
			}
			_, err := ReadNPYFile(path)
			check("ReadNPYFile", err, path)
			_, err = ReadNPZFile(npz, "x")
			check("ReadNPZFile", err, npz+"[x]")
			_, err = OpenArrayFile(path, Digest{})
			check("OpenArrayFile", err, path)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("OpenArrayFile: %v does not wrap ErrCorrupt", err)
			}
			_, err = ReadNPY(bytes.NewReader(tc.npy), int64(len(tc.npy)))
			check("ReadNPY", err, "")
			_, _, err = PeekNPY(bytes.NewReader(tc.npy), int64(len(tc.npy)))
			check("PeekNPY", err, "")
			if _, err := DigestNPY(bytes.NewReader(tc.npy)); err == nil {
				t.Error("DigestNPY accepted it")
			}
		})
	}
}

// TestNPZEntrySizeBound: an entry claiming more bytes than its archive
// could hold is refused before its header is read.
func TestNPZEntrySizeBound(t *testing.T) {
	npy := craftNPY(f4Dict("(1000000000, 1000)"), 1, 0, nil)
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, _ := z.CreateRaw(&zip.FileHeader{Name: "x.npy", Method: zip.Store, CompressedSize64: uint64(len(npy)), UncompressedSize64: 4e12 + 128}) // exactly what the shape needs
	w.Write(npy)
	z.Close()
	_, err := ReadNPZ(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "x.npz", "x")
	if err == nil || !strings.Contains(err.Error(), "x.npz[x]: entry claims 4000000000128 bytes from 128") {
		t.Errorf("got %v, want the impossible entry size refused", err)
	}
}

// TestNonRegularNPY: a FIFO or device as the path of a .npy or .npz (the
// npy and npz sources) is refused by name, promptly, instead of blocking
// or reading forever.
func TestNonRegularNPY(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.npy")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	npy := func(path string) error { _, err := ReadNPYFile(path); return err }
	npz := func(path string) error { _, err := ReadNPZFile(path, "x"); return err }
	for _, tc := range []struct {
		path string
		read func(string) error
	}{{fifo, npy}, {fifo, npz}, {"/dev/zero", npy}, {"/dev/zero", npz}} {
		done := make(chan error, 1)
		go func() { done <- tc.read(tc.path) }()
		select {
		case err := <-done:
			if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), tc.path) {
				t.Errorf("%s: %v, want ErrNotRegular naming the file", tc.path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still reading after 5 s", tc.path)
		}
	}
}

// TestReadNPYDTypes: numpy's small integer and bool dtypes are widened to
// int64 with their signs; the header may spell the dict as numpy does in
// any key order and quote style, with Python 2's long suffix.
func TestReadNPYDTypes(t *testing.T) {
	for _, tc := range []struct {
		descr   string
		payload []byte
		want    []int64
	}{
		{"|u1", []byte{0, 7, 255}, []int64{0, 7, 255}},
		{"|i1", []byte{0, 7, 255}, []int64{0, 7, -1}},
		{"|b1", []byte{0, 1, 1}, []int64{0, 1, 1}},
		{"<u2", []byte{1, 0, 0, 1, 255, 255}, []int64{1, 256, 65535}},
		{"<i2", []byte{1, 0, 0, 1, 255, 255}, []int64{1, 256, -1}},
		{"<i4", []byte{1, 0, 0, 0, 0, 0, 0, 1, 255, 255, 255, 255}, []int64{1, 1 << 24, -1}},
		{"<u4", []byte{1, 0, 0, 0, 0, 0, 0, 1, 255, 255, 255, 255}, []int64{1, 1 << 24, 1<<32 - 1}},
	} {
		npy := craftNPY(`{"shape": (3L,), "fortran_order": False, "descr": "`+tc.descr+`"}`, 1, 0, tc.payload)
		a, err := ReadNPY(bytes.NewReader(npy), int64(len(npy)))
		if err != nil || !slices.Equal(a.I64, tc.want) || !slices.Equal(a.Shape, []int{3}) {
			t.Errorf("%s: got %v, %v; want %v", tc.descr, a, err, tc.want)
		}
	}
	for _, descr := range []string{"<f2", ">f4", "<c16"} {
		npy := craftNPY("{'descr': '"+descr+"', 'fortran_order': False, 'shape': (1,), }", 1, 0, make([]byte, 16))
		if _, err := ReadNPY(bytes.NewReader(npy), int64(len(npy))); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q is not supported", descr)) {
			t.Errorf("%s: %v", descr, err)
		}
	}
}

// FuzzNPY: no bytes make a .npy reader panic or allocate beyond what is
// there, and whatever is accepted agrees with its header everywhere: as a
// .npy, as a cache blob (peek, digest) and as an npz entry. The
// seed corpus is the headers of the fault campaign, hostileNPYs
// (testdata/fuzz/FuzzNPY), and a valid file.
func FuzzNPY(f *testing.F) {
	var good bytes.Buffer
	WriteNPY(&good, &Array{Shape: []int{2, 3}, F64: []float64{0, 1, 2, 3, 4, 5}})
	f.Add(good.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		size := int64(len(data))
		a, err := ReadNPY(bytes.NewReader(data), size)
		dtype, shape, herr := PeekNPY(bytes.NewReader(data), size)
		if err != nil {
			if herr == nil && dtype != "" {
				t.Fatalf("PeekNPY accepts %s%v that ReadNPY refuses: %v", dtype, shape, err)
			}
			return
		}
		if herr != nil || !slices.Equal(shape, a.Shape) || a.Len() != len(a.F32)+len(a.F64)+len(a.I64) || int64(a.Len()) > size {
			t.Fatalf("ReadNPY gives %s, PeekNPY %s%v (%v)", a.Describe(), dtype, shape, herr)
		}
		if d, err := DigestNPY(bytes.NewReader(data)); dtype != "" && (err != nil || d != a.Digest()) {
			t.Fatalf("DigestNPY %v, %v; ReadNPY %s", d.Short(), err, a.Digest().Short())
		}
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		w, _ := zw.Create("x.npy")
		w.Write(data)
		zw.Close()
		if b, err := ReadNPZ(bytes.NewReader(z.Bytes()), int64(z.Len()), "x.npz", "x"); err != nil || b.Digest() != a.Digest() {
			t.Fatalf("as an npz entry: %v", err)
		}
	})
}

// writeZip writes the entries (deflated, as numpy.savez_compressed does)
// as the archive path.
func writeZip(t *testing.T, path string, entries map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, b := range entries {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
