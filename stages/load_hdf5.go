package stages

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/hdf5"
)

// hdf5MaxBytes is the most memory one hdf5 load may allocate for a
// selection (8 bytes an element, 4 for float32): a compressed dataset's
// size on disk does not bound it, so it is checked before reading, as the
// .npy reader checks a header against the file. Read a slice (start,
// count) of a larger dataset.
const hdf5MaxBytes = 16 << 30

// responsesAxes are the orders a 3-d recording may be stored in: S
// stimuli, R repeats, U units, one letter per file axis.
var responsesAxes = []string{"SRU", "SUR", "RSU", "RUS", "USR", "URS"}

func init() {
	RegisterSource(Source{
		Name: "hdf5",
		Doc:  "one dataset (or a hyperslab of it) of an HDF5 file: NWB, MATLAB v7.3, NSD betas (path, dataset; start/count; axes for stimuli × repeats × units; groups_dataset for unit labels)",
		Params: []ParamSpec{
			{Name: "path", Type: String, File: true, Doc: "file to read"},
			{Name: "dataset", Type: String, Doc: "dataset path inside the file, e.g. /recording/area/responses"},
			{Name: "start", Type: IntList, Optional: true, Min: Bound(0), Doc: "hyperslab: first index on every file axis (with count)"},
			{Name: "count", Type: IntList, Optional: true, Min: Bound(1), Doc: "hyperslab: elements to read on every file axis (with start)"},
			{Name: "axes", Type: String, Optional: true, Choices: responsesAxes,
				Doc: "the 3-d dataset is a recording with repeats, its file axes named S (stimuli), R (repeats), U (units): output responses, stimuli × repeats × units"},
			{Name: "groups_dataset", Type: String, Optional: true,
				Doc: "1-d dataset of one integer label per unit (area, ROI), sliced like the unit axis: output groups"},
			layoutParam,
		},
		OutputsFor: hdf5Outputs,
		Run:        loadHDF5,
		Validate:   validateHDF5,
	})
}

// hdf5Outputs are x, or responses with param axes, and groups with param
// groups_dataset.
func hdf5Outputs(p Params) []string {
	out := []string{"x"}
	if p.Has("axes") {
		out[0] = "responses"
	}
	if p.Has("groups_dataset") {
		out = append(out, "groups")
	}
	return out
}

func validateHDF5(p Params) error {
	start, count := p.Ints("start"), p.Ints("count")
	switch {
	case p.Has("start") != p.Has("count"):
		return fmt.Errorf("params \"start\" and \"count\" select a hyperslab together: give both (one entry per file axis) or neither")
	case len(start) != len(count):
		return fmt.Errorf("params \"start\" (%d entries) and \"count\" (%d entries) must have one entry per file axis each", len(start), len(count))
	case p.Has("axes") && p.Has("layout"):
		return fmt.Errorf("params \"axes\" and \"layout\" both given: axes reads a recording (stimuli × repeats × units), layout an array of images or features; give one")
	case p.Has("groups_dataset") && p.Has("layout") && p.String("layout") != "NC":
		return fmt.Errorf("param \"groups_dataset\" labels the units (columns) of an N×C array or of a recording, but param layout is %s", p.String("layout"))
	}
	return nil
}

// loadHDF5 reads the dataset (or its hyperslab) and, with groups_dataset,
// the labels of its units; the file's content enters the action key
// through ParamSpec.File.
func loadHDF5(_ context.Context, p Params) (Outputs, error) {
	path, name := p.String("path"), p.String("dataset")
	var sel *hdf5.Slice
	if p.Has("start") {
		sel = &hdf5.Slice{Start: p.Ints("start"), Count: p.Ints("count")}
	}
	d, err := hdf5.Read(path, name, sel, hdf5MaxBytes)
	if err != nil {
		return nil, err
	}
	a := &ndarray.Array{Shape: d.Shape, F32: d.F32, F64: d.F64, I64: d.I64}
	where := fmt.Sprintf("hdf5 file %s, dataset %q", path, name)
	var out Outputs
	unitAxis := 1
	if axes := p.String("axes"); axes != "" {
		if len(a.Shape) != 3 {
			return nil, fmt.Errorf("%s: param axes %s names 3 axes, but the dataset is %d-d %s; want stimuli, repeats and units", where, axes, len(a.Shape), ndarray.NumpyShape(a.Shape))
		}
		unitAxis = strings.IndexByte(axes, 'U')
		out = Outputs{"responses": toSRU(a, axes)}
	} else if out, err = withLayout(a, p, where); err != nil {
		return nil, err
	}
	if p.Has("groups_dataset") {
		if out["groups"], err = unitGroups(p, sel, unitAxis, d.Shape); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unitGroups reads param groups_dataset, one integer label per unit of the
// data (shape), sliced as the unit axis was.
func unitGroups(p Params, sel *hdf5.Slice, unitAxis int, shape []int) (*ndarray.Array, error) {
	path, name := p.String("path"), p.String("groups_dataset")
	if len(shape) <= unitAxis {
		return nil, fmt.Errorf("param \"groups_dataset\": the data %s has no unit axis (want N×C or stimuli × repeats × units)", ndarray.NumpyShape(shape))
	}
	var gsel *hdf5.Slice
	if sel != nil {
		gsel = &hdf5.Slice{Start: sel.Start[unitAxis : unitAxis+1], Count: sel.Count[unitAxis : unitAxis+1]}
	}
	g, err := hdf5.Read(path, name, gsel, hdf5MaxBytes)
	if err != nil {
		return nil, fmt.Errorf("param \"groups_dataset\": %w", err)
	}
	units := shape[unitAxis]
	if len(g.Shape) != 1 || g.Shape[0] != units {
		return nil, fmt.Errorf("param \"groups_dataset\": hdf5 file %s, dataset %q has shape %s; want one label per unit, (%d,): axis %d of the data%s",
			path, name, ndarray.NumpyShape(g.Shape), units, unitAxis, map[bool]string{true: " as param axes " + p.String("axes") + " names it"}[p.Has("axes")])
	}
	if g.I64 != nil {
		return &ndarray.Array{Shape: g.Shape, I64: g.I64}, nil
	}
	labels := make([]int64, units)
	for i := range labels {
		v := hdf5Value(g, i)
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return nil, fmt.Errorf("param \"groups_dataset\": hdf5 file %s, dataset %q: label %v of unit %d is not an integer; want integer labels", path, name, v, i)
		}
		labels[i] = int64(v)
	}
	return &ndarray.Array{Shape: []int{units}, I64: labels}, nil
}

// toSRU returns the 3-d array a, whose file axes are named by axes, in
// stimuli × repeats × units order.
func toSRU(a *ndarray.Array, axes string) *ndarray.Array {
	var shape [3]int
	for i, l := range "SRU" {
		shape[i] = a.Shape[strings.IndexRune(axes, l)]
	}
	return &ndarray.Array{Shape: shape[:], F32: permuteSRU(a.F32, a.Shape, axes),
		F64: permuteSRU(a.F64, a.Shape, axes), I64: permuteSRU(a.I64, a.Shape, axes)}
}

// permuteSRU reorders the C-order values of a 3-d array of file shape
// dims and file axes named by axes into S×R×U C order. nil stays nil.
func permuteSRU[T any](in []T, dims []int, axes string) []T {
	if in == nil {
		return nil
	}
	stride := [3]int{dims[1] * dims[2], dims[2], 1}
	var st, n [3]int // file stride and length of S, R and U
	for i, l := range "SRU" {
		d := strings.IndexRune(axes, l)
		st[i], n[i] = stride[d], dims[d]
	}
	out := make([]T, 0, len(in))
	for s := 0; s < n[0]; s++ {
		for r := 0; r < n[1]; r++ {
			for u := 0; u < n[2]; u++ {
				out = append(out, in[s*st[0]+r*st[1]+u*st[2]])
			}
		}
	}
	return out
}

// hdf5Value is element i of float data d as a float64.
func hdf5Value(d *hdf5.Data, i int) float64 {
	if d.F32 != nil {
		return float64(d.F32[i])
	}
	return d.F64[i]
}
