package ndarray

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeChunked writes a through an ArrayWriter in uneven chunks.
func writeChunked(t *testing.T, s *Scratch, a *Array) *ArrayFile {
	t.Helper()
	w, err := s.CreateArray(a.DType(), a.Shape)
	if err != nil {
		t.Fatal(err)
	}
	b := a.Bytes()
	for len(b) > 0 {
		n := min(len(b), 40)
		if _, err := w.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	f, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func testArrays() []*Array {
	f32 := NewF32(3, 4, 5)
	f64 := NewF64(7, 3)
	for i := range f32.F32 {
		f32.F32[i] = float32(i) * 0.25
	}
	for i := range f64.F64 {
		f64.F64[i] = -float64(i) / 3
	}
	return []*Array{f32, f64, Ints(4, -2, 9), Scalar(2.5)}
}

// A chunked write gives the bytes of WriteNPY and the Array's digest; the
// file opens, checks and loads back to the same values.
func TestArrayWriterRoundTrip(t *testing.T) {
	s := NewScratch(t.TempDir())
	for _, a := range testArrays() {
		t.Run(a.Describe(), func(t *testing.T) {
			f := writeChunked(t, s, a)
			if f.Digest() != a.Digest() || f.Describe() != a.Describe() {
				t.Errorf("file %s %s, array %s %s", f.Describe(), f.Digest().Short(), a.Describe(), a.Digest().Short())
			}
			var want bytes.Buffer
			if err := WriteNPY(&want, a); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(f.Path); !bytes.Equal(got, want.Bytes()) {
				t.Error("file bytes differ from WriteNPY's")
			}
			opened, err := OpenArrayFile(f.Path, a.Digest())
			if err != nil {
				t.Fatal(err)
			}
			if opened.DataOffset != f.DataOffset || !slices.Equal(opened.Shape, a.Shape) || opened.DType != a.DType() {
				t.Errorf("reopened as %s at offset %d, want %s at %d", opened.Describe(), opened.DataOffset, a.Describe(), f.DataOffset)
			}
			got, err := opened.Load()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), a.Bytes()) {
				t.Error("loaded values differ")
			}
			if d, err := DigestNPY(bytes.NewReader(want.Bytes())); err != nil || d != a.Digest() {
				t.Errorf("DigestNPY: %v %v, want %s", d.Short(), err, a.Digest().Short())
			}
		})
	}
}

// Every bad file is refused at open with an error naming the file and the
// fault, wrapping ErrCorrupt; Load catches a file changed after.
func TestOpenArrayFileBad(t *testing.T) {
	a := testArrays()[0]
	var good bytes.Buffer
	WriteNPY(&good, a)
	hdr := int(npyHeaderLen(a))
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"truncated payload", func(b []byte) []byte { return b[:len(b)-3] }, "truncated"},
		{"header only", func(b []byte) []byte { return b[:hdr] }, "truncated"},
		{"trailing bytes", func(b []byte) []byte { return append(b, 0, 0) }, "trailing bytes"},
		{"flipped bit", func(b []byte) []byte { b[hdr+17] ^= 1; return b }, "content hashes to"},
		{"bad magic", func(b []byte) []byte { b[1] = 'X'; return b }, "bad magic"},
		{"cut in the header", func(b []byte) []byte { return b[:20] }, "header"},
		{"no newline", func(b []byte) []byte { b[hdr-1] = ' '; return b }, "newline"},
		{"empty", func([]byte) []byte { return nil }, "not a valid .npy"},
		{"fortran order", func(b []byte) []byte {
			b = bytes.Replace(b, []byte("False"), []byte("True"), 1)
			return slices.Insert(b, hdr-2, ' ')
		}, "Fortran"},
		{"float16", func(b []byte) []byte { return bytes.Replace(b, []byte("<f4"), []byte("<f2"), 1) }, `"<f2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.npy")
			if err := os.WriteFile(path, tc.edit(bytes.Clone(good.Bytes())), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := OpenArrayFile(path, a.Digest())
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v; want an error naming %s, saying %q, wrapping ErrCorrupt", err, path, tc.want)
			}
		})
	}
	t.Run("changed after open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.npy")
		os.WriteFile(path, good.Bytes(), 0o644)
		f, err := OpenArrayFile(path, a.Digest())
		if err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(good.Bytes())
		b[hdr] ^= 0x80
		os.WriteFile(path, b, 0o644)
		if _, err := f.Load(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Load of a changed file: %v; want ErrCorrupt", err)
		}
	})
}

func npyHeaderLen(a *Array) int64 { return int64(len(npyHeader(a.DType(), a.Shape))) }

// The writer refuses too many bytes and an early Close; the Scratch
// removes what was not taken over.
func TestArrayWriterErrorsAndScratch(t *testing.T) {
	s := NewScratch(t.TempDir())
	w, err := s.CreateArray(Float32, []int{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32s(make([]float32, 7)); err == nil || !strings.Contains(err.Error(), "past the 24") {
		t.Errorf("writing 7 of 6 elements: %v", err)
	}
	if err := w.WriteFloat32s(make([]float32, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err == nil || !strings.Contains(err.Error(), "after 20 of its 24 bytes") {
		t.Errorf("early Close: %v", err)
	}
	kept := writeChunked(t, s, testArrays()[1])
	if !s.Owns(kept.Path) || s.Owns(filepath.Join(t.TempDir(), "other.npy")) {
		t.Error("Owns does not match the files the scratch made")
	}
	moved := kept.Path + ".adopted"
	if err := os.Rename(kept.Path, moved); err != nil {
		t.Fatal(err)
	}
	s.RemoveAll()
	left, _ := os.ReadDir(s.dir)
	if len(left) != 1 || left[0].Name() != filepath.Base(moved) {
		t.Errorf("after RemoveAll the scratch holds %v; want only the adopted file", left)
	}
	if _, err := os.Stat(w.af.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial file not removed: %v", err)
	}
}
