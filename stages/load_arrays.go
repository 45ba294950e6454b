package stages

import (
	"context"
	"fmt"

	"github.com/eigenlab/eigenlab/ndarray"
)

// layoutParam declares the axis order of a loaded array: the stages take
// images as N×C×H×W, so a 4-d array must say whether it is that or
// channel-last; nothing is guessed.
var layoutParam = ParamSpec{Name: "layout", Type: String, Optional: true, Choices: []string{"NCHW", "NHWC", "NHW", "NC"},
	Doc: "axis order, never guessed: 4-d NCHW or NHWC (→ NCHW), 3-d NHW (→ N×1×H×W), 2-d NC (the default), 1-d none"}

func init() {
	RegisterSource(Source{
		Name:    "npy",
		Version: "2", // 2: the declared layout (NHWC transposed)
		Doc:     "one array from a .npy file (path; layout for 3-d and 4-d arrays)",
		Params:  []ParamSpec{{Name: "path", Type: String, File: true, Doc: "file to read"}, layoutParam},
		Outputs: []string{"x"},
		Run:     loadNPY,
	})
	RegisterSource(Source{
		Name:    "npz",
		Version: "2", // 2: the declared layout (NHWC transposed)
		Doc:     "one array from a .npz archive (path, key; layout for 3-d and 4-d arrays)",
		Params: []ParamSpec{
			{Name: "path", Type: String, File: true, Doc: "file to read"},
			{Name: "key", Type: String, Doc: "array name inside the .npz"},
			layoutParam,
		},
		Outputs: []string{"x"},
		Run:     loadNPZ,
	})
}

// loadNPY reads the array at param path; the file's content enters the
// action key through ParamSpec.File.
func loadNPY(_ context.Context, p Params) (Outputs, error) {
	path := p.String("path")
	a, err := ndarray.ReadNPYFile(path)
	if err != nil {
		return nil, err
	}
	return withLayout(a, p, path)
}

func loadNPZ(_ context.Context, p Params) (Outputs, error) {
	path, key := p.String("path"), p.String("key")
	a, err := ndarray.ReadNPZFile(path, key)
	if err != nil {
		return nil, err
	}
	return withLayout(a, p, fmt.Sprintf("%s[%s]", path, key))
}

// withLayout checks the array's rank against param layout and returns it
// in the order the stages use (N×C×H×W for images); name is the file.
func withLayout(a *ndarray.Array, p Params, name string) (Outputs, error) {
	layout := ""
	if p.Has("layout") {
		layout = p.String("layout")
	}
	rank := len(a.Shape)
	switch {
	case layout == "" && rank == 4:
		return nil, fmt.Errorf("%s: 4-d array %s needs param layout: NCHW or NHWC (channel-last arrays are read as N×H×W×C only when said so)", name, ndarray.NumpyShape(a.Shape))
	case layout == "" && rank == 3:
		return nil, fmt.Errorf("%s: 3-d array %s needs param layout: NHW (grayscale images, read as N×1×H×W); other 3-d arrays: reshape to N×features or to 4-d", name, ndarray.NumpyShape(a.Shape))
	case layout == "" && rank <= 2:
		return Outputs{"x": a}, nil
	case len(layout) != rank:
		return nil, fmt.Errorf("%s: param layout %s is for %d-d arrays, but the array is %d-d %s", name, layout, len(layout), rank, ndarray.NumpyShape(a.Shape))
	case layout == "NHWC":
		return Outputs{"x": nhwcToNCHW(a)}, nil
	case layout == "NHW":
		a.Shape = []int{a.Shape[0], 1, a.Shape[1], a.Shape[2]}
	}
	return Outputs{"x": a}, nil
}

// nhwcToNCHW returns a (N×H×W×C) transposed to N×C×H×W in C order.
func nhwcToNCHW(a *ndarray.Array) *ndarray.Array {
	n, h, w, c := a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3]
	return &ndarray.Array{Shape: []int{n, c, h, w}, F32: nhwcToNCHWData(a.F32, n, h*w, c),
		F64: nhwcToNCHWData(a.F64, n, h*w, c), I64: nhwcToNCHWData(a.I64, n, h*w, c)}
}

// nhwcToNCHWData moves the channel axis of n blocks of hw×c values in
// front: out[(i·c + ch)·hw + pos] = in[(i·hw + pos)·c + ch]. nil stays nil.
func nhwcToNCHWData[T any](in []T, n, hw, c int) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i := 0; i < n; i++ {
		block := in[i*hw*c : (i+1)*hw*c]
		for pos := 0; pos < hw; pos++ {
			for ch := 0; ch < c; ch++ {
				out[(i*c+ch)*hw+pos] = block[pos*c+ch]
			}
		}
	}
	return out
}
