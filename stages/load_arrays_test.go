package stages

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// writeNPY writes a as dir/name and returns the path.
func writeNPY(t *testing.T, dir, name string, a *ndarray.Array) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ndarray.WriteNPY(f, a); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeNPZ writes a as the array key of the archive dir/name (what
// numpy.savez writes: a zip of key.npy members) and returns the path.
func writeNPZ(t *testing.T, dir, name, key string, a *ndarray.Array) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := zip.NewWriter(f)
	w, err := z.Create(key + ".npy")
	if err != nil {
		t.Fatal(err)
	}
	if err := ndarray.WriteNPY(w, a); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// counting returns an array of the given shape and dtype holding 0, 1, 2, …
func counting(dtype string, shape ...int) *ndarray.Array {
	a := &ndarray.Array{Shape: shape}
	n := a.Len()
	switch dtype {
	case "f4":
		a.F32 = make([]float32, n)
	case "f8":
		a.F64 = make([]float64, n)
	case "i8":
		a.I64 = make([]int64, n)
	}
	for i := 0; i < n; i++ {
		switch {
		case a.F32 != nil:
			a.F32[i] = float32(i)
		case a.F64 != nil:
			a.F64[i] = float64(i)
		default:
			a.I64[i] = int64(i)
		}
	}
	return a
}

// TestLoadLayouts: every rank with and without param layout, for .npy and
// .npz. A 4-d array needs NCHW or NHWC (NHWC is transposed to NCHW, checked
// element by element for each dtype), a 3-d one NHW (→ N×1×H×W), 2-d
// defaults to NC, 1-d takes none; a layout of another rank is an error
// naming the file and shape.
func TestLoadLayouts(t *testing.T) {
	dir := t.TempDir()
	type check func(t *testing.T, in, out *ndarray.Array)
	same := func(t *testing.T, in, out *ndarray.Array) {
		if !slices.Equal(out.Shape, in.Shape) || out.Value(out.Len()-1) != in.Value(in.Len()-1) {
			t.Errorf("got %s, want the array unchanged %s", out.Describe(), in.Describe())
		}
	}
	transposed := func(t *testing.T, in, out *ndarray.Array) {
		n, h, w, c := in.Shape[0], in.Shape[1], in.Shape[2], in.Shape[3]
		if !slices.Equal(out.Shape, []int{n, c, h, w}) || out.DType() != in.DType() {
			t.Fatalf("got %s, want %s[%d %d %d %d]", out.Describe(), in.DType(), n, c, h, w)
		}
		for i := 0; i < n; i++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					for ch := 0; ch < c; ch++ {
						if got, want := out.Value(((i*c+ch)*h+y)*w+x), in.Value(((i*h+y)*w+x)*c+ch); got != want {
							t.Fatalf("x[%d,%d,%d,%d] = %v, want NHWC input [%d,%d,%d,%d] = %v", i, ch, y, x, got, i, y, x, ch, want)
						}
					}
				}
			}
		}
	}
	oneChannel := func(t *testing.T, in, out *ndarray.Array) {
		if want := []int{in.Shape[0], 1, in.Shape[1], in.Shape[2]}; !slices.Equal(out.Shape, want) || out.Value(out.Len()-1) != in.Value(in.Len()-1) {
			t.Errorf("got %s, want shape %v with the same values", out.Describe(), want)
		}
	}
	for _, tc := range []struct {
		name   string
		a      *ndarray.Array
		layout string
		ok     check
		want   string // error, with %s for the file
	}{
		{"x.npy", counting("f4", 2, 3, 4, 5), "", nil, "%s: 4-d array (2, 3, 4, 5) needs param layout: NCHW or NHWC (channel-last arrays are read as N×H×W×C only when said so)"},
		{"x.npy", counting("f4", 2, 3, 4, 5), "NCHW", same, ""},
		{"x.npy", counting("f4", 2, 3, 4, 5), "NHWC", transposed, ""},
		{"x.npy", counting("f8", 3, 2, 2, 4), "NHWC", transposed, ""},
		{"x.npy", counting("i8", 1, 5, 3, 2), "NHWC", transposed, ""},
		{"x.npy", counting("f4", 2, 3, 4, 5), "NC", nil, "%s: param layout NC is for 2-d arrays, but the array is 4-d (2, 3, 4, 5)"},
		{"x.npy", counting("f4", 4, 28, 28), "", nil, "%s: 3-d array (4, 28, 28) needs param layout: NHW (grayscale images, read as N×1×H×W); other 3-d arrays: reshape to N×features or to 4-d"},
		{"x.npy", counting("f4", 4, 28, 28), "NHW", oneChannel, ""},
		{"x.npy", counting("f4", 4, 28, 28), "NCHW", nil, "%s: param layout NCHW is for 4-d arrays, but the array is 3-d (4, 28, 28)"},
		{"x.npy", counting("f8", 6, 7), "", same, ""},
		{"x.npy", counting("f8", 6, 7), "NC", same, ""},
		{"x.npy", counting("f8", 6, 7), "NHWC", nil, "%s: param layout NHWC is for 4-d arrays, but the array is 2-d (6, 7)"},
		{"labels.npy", counting("i8", 10), "", same, ""},
		{"labels.npy", counting("i8", 10), "NC", nil, "%s: param layout NC is for 2-d arrays, but the array is 1-d (10,)"},
		{"x.npz", counting("f4", 2, 3, 4, 5), "", nil, "%s[images]: 4-d array (2, 3, 4, 5) needs param layout: NCHW or NHWC (channel-last arrays are read as N×H×W×C only when said so)"},
		{"x.npz", counting("f4", 2, 3, 4, 5), "NHWC", transposed, ""},
		{"x.npz", counting("f4", 4, 28, 28), "NC", nil, "%s[images]: param layout NC is for 2-d arrays, but the array is 3-d (4, 28, 28)"},
		{"x.npz", counting("f8", 6, 7), "", same, ""},
	} {
		t.Run(tc.name+"/"+tc.a.Describe()+"/"+tc.layout, func(t *testing.T) {
			p := Params{"source": "npy"}
			if strings.HasSuffix(tc.name, ".npz") {
				p = Params{"source": "npz", "key": "images", "path": writeNPZ(t, dir, tc.name, "images", tc.a)}
			} else {
				p["path"] = writeNPY(t, dir, tc.name, tc.a)
			}
			if tc.layout != "" {
				p["layout"] = tc.layout
			}
			out, err := runLoad(t, p)
			if tc.ok == nil {
				if want := strings.Replace(tc.want, "%s", p.String("path"), 1); err == nil || err.Error() != want {
					t.Errorf("err = %v\nwant %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.ok(t, tc.a, out["x"].(*ndarray.Array))
		})
	}
}

// TestLoadLayoutParam: layout is a param of npy and npz only, and its
// choices are checked.
func TestLoadLayoutParam(t *testing.T) {
	for _, src := range []string{"npy", "npz"} {
		spec, ok := load{}.ResolveSpec(Params{"source": src}, "layout")
		if !ok || spec.Default != nil || !spec.Optional {
			t.Errorf("source %s: layout spec %+v (found %v), want optional without default", src, spec, ok)
		}
		if err := spec.CheckValue("NWHC"); err == nil || !strings.Contains(err.Error(), "not one of NCHW, NHWC, NHW, NC") {
			t.Errorf("source %s: layout NWHC gives %v", src, err)
		}
	}
	err := load{}.Validate(Params{"source": "planted", "n": 10, "p": 5, "alpha": 1.0, "layout": "NC"})
	if err == nil || !strings.Contains(err.Error(), `param(s) layout do not apply to source "planted"`) {
		t.Errorf("layout on planted: %v", err)
	}
}
