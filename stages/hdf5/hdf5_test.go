package hdf5_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages/hdf5"
)

const file = "testdata/layouts.h5"

// planted is make_testdata.py's value formula: 100i + 10j + k (+0.25 for
// floats), with the last axes weighted 1, 10, 100 from the right.
func planted(idx []int, float bool) float64 {
	v, w := 0.0, 1.0
	for d := len(idx) - 1; d >= 0; d-- {
		v += w * float64(idx[d])
		w *= 10
	}
	if float {
		v += 0.25
	}
	return v
}

// want returns the planted values of the selection start+count in C order.
func want(start, count []int, float bool) []float64 {
	var out []float64
	idx := slices.Clone(start)
	for {
		out = append(out, planted(idx, float))
		d := len(idx) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < start[d]+count[d] {
				break
			}
			idx[d] = start[d]
		}
		if d < 0 {
			return out
		}
	}
}

func values(t *testing.T, d *hdf5.Data) []float64 {
	t.Helper()
	var out []float64
	for _, v := range d.F32 {
		out = append(out, float64(v))
	}
	out = append(out, d.F64...)
	for _, v := range d.I64 {
		out = append(out, float64(v))
	}
	return out
}

func skipUnsupported(t *testing.T, err error) {
	if errors.Is(err, hdf5.ErrUnsupported) {
		t.Skip(err)
	}
}

// Every layout h5py writes (contiguous, chunked, gzip+shuffle, in nested
// groups, integers) reads back exactly, whole and as hyperslabs that cross
// chunk boundaries, with the element type kept (float32 stays float32).
func TestReadLayouts(t *testing.T) {
	for _, c := range []struct {
		name  string
		dims  []int
		sel   *hdf5.Slice
		dtype string
	}{
		{"/contiguous", []int{6, 5}, nil, "f64"},
		{"/contiguous", []int{6, 5}, &hdf5.Slice{Start: []int{1, 2}, Count: []int{4, 3}}, "f64"},
		{"/chunked", []int{9, 7, 3}, nil, "f32"},
		{"/chunked", []int{9, 7, 3}, &hdf5.Slice{Start: []int{3, 0, 1}, Count: []int{5, 7, 2}}, "f32"},
		{"/gzip", []int{9, 7, 3}, nil, "f32"},
		{"/gzip", []int{9, 7, 3}, &hdf5.Slice{Start: []int{2, 2, 2}, Count: []int{7, 4, 1}}, "f32"},
		{"recording/area/responses", []int{8, 2, 6}, &hdf5.Slice{Start: []int{1, 1, 0}, Count: []int{6, 1, 6}}, "f64"},
		{"/ints", []int{4, 5}, nil, "i64"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := hdf5.Read(file, c.name, c.sel, 1<<20)
			skipUnsupported(t, err)
			if err != nil {
				t.Fatal(err)
			}
			start, count := make([]int, len(c.dims)), c.dims
			if c.sel != nil {
				start, count = c.sel.Start, c.sel.Count
			}
			if !slices.Equal(d.Shape, count) {
				t.Fatalf("shape %v, want %v", d.Shape, count)
			}
			got := map[string]int{"f32": len(d.F32), "f64": len(d.F64), "i64": len(d.I64)}
			if got[c.dtype] == 0 {
				t.Fatalf("values not in %s: %d f32, %d f64, %d i64", c.dtype, len(d.F32), len(d.F64), len(d.I64))
			}
			if w := want(start, count, c.dtype != "i64"); !slices.Equal(values(t, d), w) {
				t.Fatalf("values %v\nwant %v", values(t, d), w)
			}
		})
	}
}

// A scalar dataset reads as shape [] with one value.
func TestReadScalar(t *testing.T) {
	d, err := hdf5.Read(file, "/scalar", nil, 64)
	skipUnsupported(t, err)
	if err != nil || len(d.Shape) != 0 || !slices.Equal(d.F64, []float64{2.5}) {
		t.Fatalf("got %+v, %v; want shape [] value 2.5", d, err)
	}
}

// Bad requests are errors naming the file, the dataset and the problem;
// the size budget is checked before anything is allocated.
func TestReadErrors(t *testing.T) {
	for _, c := range []struct {
		path, name string
		sel        *hdf5.Slice
		budget     int64
		want       string
	}{
		{"testdata/missing.h5", "/x", nil, 1 << 20, "no such file"},
		{"testdata/make_testdata.py", "/x", nil, 1 << 20, "not an HDF5 file"},
		{file, "/nothing", nil, 1 << 20, "no such dataset"},
		{file, "/text", nil, 1 << 20, "not a float or an integer"},
		{file, "/gzip", nil, 9*7*3*4 - 1, "over the budget"},
		{file, "/contiguous", nil, 6*5*8 - 1, "over the budget"},
		{file, "/contiguous", &hdf5.Slice{Start: []int{0}, Count: []int{1}}, 1 << 20, "one start and one count per axis"},
		{file, "/contiguous", &hdf5.Slice{Start: []int{5, 0}, Count: []int{2, 5}}, 1 << 20, "outside 0..6"},
	} {
		_, err := hdf5.Read(c.path, c.name, c.sel, c.budget)
		skipUnsupported(t, err)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s %s: error %v, want one naming the dataset and saying %q", c.path, c.name, err, c.want)
		}
	}
	if d, err := hdf5.Read(file, "/gzip", nil, 9*7*3*4); err != nil || len(d.F32) != 9*7*3 {
		t.Errorf("at exactly the budget: %v", err)
	}
}
