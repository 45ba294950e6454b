package stages

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// recordingH5 is written by testdata/hdf5/make_recording.py: response(s, r,
// u) = 100s + 10r + u + 0.25, stored in several axis orders.
const recordingH5 = "testdata/hdf5/recording.h5"

// planted is the recording's formula.
func planted(s, r, u int) float64 { return float64(100*s+10*r+u) + 0.25 }

// TestLoadHDF5 reads the recording in each stored order and slice and
// checks every value against the formula, and the unit labels.
func TestLoadHDF5(t *testing.T) {
	cases := []struct {
		name   string
		p      Params
		shape  []int
		origin [3]int // stimulus, repeat, unit of element [0,0,0]
		groups []int64
	}{
		{"RSU chunked gzip float32", Params{"dataset": "/rec/rsu", "axes": "RSU", "groups_dataset": "/rec/area"},
			[]int{5, 3, 4}, [3]int{}, []int64{2, 1, 2, 7}},
		{"USR float64", Params{"dataset": "/rec/uss", "axes": "USR", "groups_dataset": "/rec/area_float"},
			[]int{5, 3, 4}, [3]int{}, []int64{2, 1, 2, 7}},
		{"hyperslab slices the labels too", Params{"dataset": "/rec/rsu", "axes": "RSU", "groups_dataset": "/rec/area",
			"start": []int{1, 2, 1}, "count": []int{2, 3, 3}}, []int{3, 2, 3}, [3]int{2, 1, 1}, []int64{1, 2, 7}},
		{"2-d x", Params{"dataset": "/x", "groups_dataset": "/rec/area"}, []int{5, 4}, [3]int{}, []int64{2, 1, 2, 7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Params{"source": "hdf5", "path": recordingH5}
			for k, v := range c.p {
				p[k] = v
			}
			st, _ := Lookup("load")
			if err := st.(Validator).Validate(p); err != nil {
				t.Fatal(err)
			}
			out, err := st.Run(context.Background(), nil, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := slices.Sorted(func(y func(string) bool) {
				for k := range out {
					if !y(k) {
						return
					}
				}
			}), slices.Sorted(slices.Values(st.Outputs(p))); !slices.Equal(got, want) {
				t.Fatalf("outputs %v, declared %v", got, want)
			}
			a, err := Inputs(out).Array(st.Outputs(p)[0])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, c.shape) {
				t.Fatalf("shape %v, want %v", a.Shape, c.shape)
			}
			v := a.Float64s()
			for i := range v {
				s, r, u := i/(c.shape[len(c.shape)-1]*max(1, len(c.shape)-1)), 0, i%c.shape[len(c.shape)-1]
				if len(c.shape) == 3 {
					s, r = i/(c.shape[1]*c.shape[2]), i/c.shape[2]%c.shape[1]
				} else {
					s = i / c.shape[1]
				}
				if want := planted(s+c.origin[0], r+c.origin[1], u+c.origin[2]); v[i] != want {
					t.Fatalf("element %d (s %d r %d u %d) = %v, want %v", i, s, r, u, v[i], want)
				}
			}
			g, _ := Inputs(out).Array("groups")
			if !slices.Equal(g.I64, c.groups) {
				t.Errorf("groups %v, want %v", g.I64, c.groups)
			}
		})
	}
}

// TestLoadHDF5Errors: every refusal names the param or the file and
// dataset, and what was expected.
func TestLoadHDF5Errors(t *testing.T) {
	cases := []struct {
		name string
		p    Params
		want []string
	}{
		{"no dataset", Params{"dataset": "/rec/none"}, []string{recordingH5, `"/rec/none"`, "no such dataset"}},
		{"axes on a 2-d dataset", Params{"dataset": "/x", "axes": "SRU"}, []string{recordingH5, `"/x"`, "param axes SRU", "3 axes"}},
		{"slice out of range", Params{"dataset": "/x", "start": []int{4, 0}, "count": []int{2, 4}}, []string{recordingH5, "start 4 count 2"}},
		{"labels not integers", Params{"dataset": "/x", "groups_dataset": "/rec/area_bad"}, []string{`param "groups_dataset"`, "1.5", "not an integer"}},
		{"labels of the wrong length", Params{"dataset": "/rec/rsu", "axes": "URS", "groups_dataset": "/rec/area"}, []string{`param "groups_dataset"`, "(3,)"}},
		{"start without count", Params{"dataset": "/x", "start": []int{0, 0}}, []string{`"start" and "count"`}},
		{"axes and layout", Params{"dataset": "/x", "axes": "SRU", "layout": "NC"}, []string{`"axes" and "layout"`}},
	}
	st, _ := Lookup("load")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Params{"source": "hdf5", "path": recordingH5}
			for k, v := range c.p {
				p[k] = v
			}
			err := st.(Validator).Validate(p)
			if err == nil {
				_, err = st.Run(context.Background(), nil, nil, p)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
