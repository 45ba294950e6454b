package spectral

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// onDisk returns t with its values behind a File (an in-memory ReaderAt of
// the raw bytes, which is all a File sees of a .npy payload).
func onDisk(t Tensor) Tensor {
	var raw []byte
	if t.F32 != nil {
		raw = bytesOf(t.F32)
	} else {
		raw = bytesOf(t.F64)
	}
	return Tensor{Shape: t.Shape, File: &File{Name: "test file", R: bytes.NewReader(slices.Clone(raw)), F32: t.F32 != nil}}
}

func randTensor(seed uint64, f32 bool, shape ...int) Tensor {
	rng := rand.New(rand.NewPCG(seed, 9))
	t := Tensor{Shape: shape}
	size := 1
	for _, d := range shape {
		size *= d
	}
	if f32 {
		t.F32 = make([]float32, size)
		for i := range t.F32 {
			t.F32[i] = float32(rng.NormFloat64() * (1 + float64(i%5)))
		}
	} else {
		t.F64 = make([]float64, size)
		for i := range t.F64 {
			t.F64[i] = rng.NormFloat64() * (1 + float64(i%5))
		}
	}
	return t
}

// Every view gives bit-identical eigenvalues from memory and from a File,
// in both dtypes, through one block and many (blocks of a few columns,
// panels of several blocks, scans in several chunks).
func TestFileViewsBitIdentical(t *testing.T) {
	views := map[string]func(Tensor) ([]float64, error){
		"full":    FullEigenvalues,
		"channel": func(x Tensor) ([]float64, error) { return ChannelEigenvalues(x, true) },
		"spatial": func(x Tensor) ([]float64, error) {
			s, err := LocationEigenvalues(x)
			if err != nil {
				return nil, err
			}
			return MeanSpectrum(s), nil
		},
	}
	for _, tc := range []struct {
		name  string
		shape []int
		block int // blockElems; 0 keeps the default
	}{
		{"gram one block", []int{30, 4, 5, 6}, 0},
		{"gram many blocks and panels", []int{30, 4, 5, 6}, 300},
		{"gram uneven last panel", []int{23, 7, 3, 5}, 230},
		{"direct", []int{90, 2, 3, 4}, 0},
		{"direct many blocks", []int{90, 2, 3, 4}, 500},
	} {
		for _, f32 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s f32=%v", tc.name, f32), func(t *testing.T) {
				if tc.block > 0 {
					defer SetBlockElems(tc.block)()
				}
				mem := randTensor(uint64(len(tc.name)), f32, tc.shape...)
				disk := onDisk(mem)
				for name, view := range views {
					want, err := view(mem)
					if err != nil {
						t.Fatal(err)
					}
					got, err := view(disk)
					if err != nil {
						t.Fatalf("%s from a file: %v", name, err)
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s view: file and memory differ\nfile %v\nmem  %v", name, got, want)
					}
				}
			})
		}
	}
}

// The NaN scans and the column drop agree between memory and a File read
// in several chunks.
func TestFileNonfinite(t *testing.T) {
	defer SetBlockElems(16)()
	for _, f32 := range []bool{true, false} {
		mem := randTensor(5, f32, 6, 3, 2, 2)
		for _, at := range []int{29, 30, 61} {
			if f32 {
				mem.F32[at] = float32(math.NaN())
			} else {
				mem.F64[at] = math.Inf(-1)
			}
		}
		disk := onDisk(mem)
		i, v, err := disk.FirstNonfinite()
		if wi, wv, _ := mem.FirstNonfinite(); i != 29 || i != wi || fmt.Sprint(v) != fmt.Sprint(wv) || err != nil {
			t.Errorf("f32=%v: first non-finite %d (%v, %v), memory says %d (%v)", f32, i, v, err, wi, wv)
		}
		for _, byChannel := range []bool{false, true} {
			want, _ := mem.NonfiniteFeatures(byChannel)
			got, err := disk.NonfiniteFeatures(byChannel)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("f32=%v byChannel=%v: mask %v (%v), want %v", f32, byChannel, got, err, want)
			}
			wantT, _ := mem.DropFeatures(want, byChannel)
			gotT, err := disk.DropFeatures(got, byChannel)
			if err != nil || fmt.Sprint(gotT) != fmt.Sprint(wantT) {
				t.Errorf("f32=%v byChannel=%v: dropped %v (%v), want %v", f32, byChannel, gotT, err, wantT)
			}
		}
	}
}

// failingReader fails every read that reaches byte at.
type failingReader struct {
	r  io.ReaderAt
	at int64
}

var errDisk = errors.New("disk on fire")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		return 0, errDisk
	}
	return f.r.ReadAt(p, off)
}

// A read that fails, or a payload shorter than the shape, ends every view
// and scan with an error naming the file; nothing panics.
func TestFileReadErrors(t *testing.T) {
	defer SetBlockElems(200)()
	mem := randTensor(7, true, 30, 4, 5, 6)
	raw := bytesOf(mem.F32)
	for _, tc := range []struct {
		name string
		r    io.ReaderAt
		want error
	}{
		{"failing disk", failingReader{bytes.NewReader(raw), int64(len(raw)) / 2}, errDisk},
		{"short payload", bytes.NewReader(raw[:len(raw)-7]), io.EOF},
	} {
		x := Tensor{Shape: mem.Shape, File: &File{Name: "acts.npy", R: tc.r, F32: true}}
		checks := map[string]error{}
		_, checks["full"] = FullEigenvalues(x)
		_, checks["channel"] = ChannelEigenvalues(x, true)
		_, checks["spatial"] = LocationEigenvalues(x)
		_, _, checks["first non-finite"] = x.FirstNonfinite()
		_, checks["non-finite features"] = x.NonfiniteFeatures(false)
		_, checks["drop"] = x.DropFeatures(make([]bool, 120), false)
		for what, err := range checks {
			if !errors.Is(err, tc.want) || !strings.Contains(fmt.Sprint(err), "acts.npy") {
				t.Errorf("%s, %s: %v; want an error naming acts.npy wrapping %v", tc.name, what, err, tc.want)
			}
		}
	}
}
