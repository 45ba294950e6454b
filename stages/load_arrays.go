package stages

import (
	"context"
	"fmt"
	"os"

	"codeberg.org/sbinet/npyio/npz"
)

func init() {
	RegisterSource(Source{
		Name:    "npy",
		Doc:     "one array from a .npy file (path)",
		Params:  []ParamSpec{{Name: "path", Type: String, File: true, Doc: "file to read"}},
		Outputs: []string{"x"},
		Run:     loadNPY,
	})
	RegisterSource(Source{
		Name: "npz",
		Doc:  "one array from a .npz archive (path, key)",
		Params: []ParamSpec{
			{Name: "path", Type: String, File: true, Doc: "file to read"},
			{Name: "key", Type: String, Doc: "array name inside the .npz"},
		},
		Outputs: []string{"x"},
		Run:     loadNPZ,
	})
}

// loadNPY reads the array at param path; the file's content enters the
// action key through ParamSpec.File.
func loadNPY(_ context.Context, p Params) (Outputs, error) {
	path := p.String("path")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("param \"path\": %w", err)
	}
	defer f.Close()
	a, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Outputs{"x": a}, nil
}

func loadNPZ(_ context.Context, p Params) (Outputs, error) {
	path, key := p.String("path"), p.String("key")
	z, err := npz.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz archive: %w", path, err)
	}
	defer z.Close()
	found := false
	for _, k := range z.Keys() {
		found = found || k == key || k == key+".npy"
	}
	if !found {
		return nil, fmt.Errorf("%s: no array %q; the archive holds %v", path, key, z.Keys())
	}
	name := key
	if z.Header(name) == nil {
		name = key + ".npy"
	}
	r, err := z.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s[%s]: %w", path, key, err)
	}
	defer r.Close()
	a, err := ReadNPY(r)
	if err != nil {
		return nil, fmt.Errorf("%s[%s]: %w", path, key, err)
	}
	return Outputs{"x": a}, nil
}
