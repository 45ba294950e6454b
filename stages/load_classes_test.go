package stages

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// classTree writes root/<class>/<file> PNGs of size w×h, each filled with
// its own grey level, and returns root. A name ending in "/" makes an empty
// folder; a name without "/" a file (text) at the root.
func classTree(t *testing.T, w, h int, entries ...string) string {
	t.Helper()
	root := t.TempDir()
	for i, e := range entries {
		path := filepath.Join(root, e)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(e, "/"):
			err := os.MkdirAll(path, 0o755)
			if err != nil {
				t.Fatal(err)
			}
			continue
		case !strings.HasSuffix(e, ".png"):
			if err := os.WriteFile(path, []byte("text"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		img := image.NewGray(image.Rect(0, 0, w, h))
		for j := range img.Pix {
			img.Pix[j] = uint8(20*i + j)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestClassFolders: labels are the sorted sub-folder index, images are the
// folder source's images of each class folder in turn (the same decoding),
// and info names the classes and files.
func TestClassFolders(t *testing.T) {
	root := classTree(t, 4, 3, "dog/b.png", "cat/z.png", "cat/a.png", "dog/.hidden", ".git/x", "dog/a.png")
	cases := []struct {
		name       string
		params     Params
		wantLabels []int64
		wantFiles  []string
		wantShape  string
	}{
		{"all", Params{}, []int64{0, 0, 1, 1}, []string{"cat/a.png", "cat/z.png", "dog/a.png", "dog/b.png"}, "float32[4 3 3 4]"},
		{"first n per class", Params{"n": 1}, []int64{0, 1}, []string{"cat/a.png", "dog/a.png"}, "float32[2 3 3 4]"},
		{"grey, resized and cropped", Params{"channels": 1, "size": 2}, []int64{0, 0, 1, 1}, nil, "float32[4 1 2 2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Params{"source": "class-folders", "path": root}
			for k, v := range c.params {
				p[k] = v
			}
			out := loadImages(t, p)
			labels := out["labels"].(*ndarray.Array)
			if !slices.Equal(labels.I64, c.wantLabels) || !slices.Equal(labels.Shape, []int{len(c.wantLabels)}) {
				t.Errorf("labels %v %v, want %v", labels.Shape, labels.I64, c.wantLabels)
			}
			info := out["info"].(ndarray.Record)
			if !reflect.DeepEqual(info["classes"], []string{"cat", "dog"}) {
				t.Errorf("classes %v, want [cat dog]", info["classes"])
			}
			if c.wantFiles != nil && !reflect.DeepEqual(info["files"], c.wantFiles) {
				t.Errorf("files %v, want %v", info["files"], c.wantFiles)
			}
			got := imagesOf(out)
			if got.Describe() != c.wantShape {
				t.Fatalf("images %s, want %s", got.Describe(), c.wantShape)
			}
			var want []float32
			for _, class := range []string{"cat", "dog"} {
				q := Params{"source": "folder", "path": filepath.Join(root, class)}
				for k, v := range c.params {
					q[k] = v
				}
				want = append(want, imagesOf(loadImages(t, q)).F32...)
			}
			if !slices.Equal(got.F32, want) {
				t.Errorf("images differ from the folder source's, class by class")
			}
		})
	}
}

func TestClassFoldersErrors(t *testing.T) {
	cases := []struct {
		name    string
		entries []string
		params  Params
		want    string
	}{
		{"file beside the classes", []string{"cat/a.png", "dog/a.png", "notes.txt"}, nil, "notes.txt is not a folder; want only one sub-folder per class"},
		{"one class", []string{"cat/a.png"}, nil, "holds 1 class sub-folders; want at least 2"},
		{"empty class", []string{"cat/a.png", "dog/"}, nil, `class "dog": param "path": folder`},
		{"not an image", []string{"cat/a.png", "dog/a.txt"}, nil, `class "dog": ` + "%ROOT%/dog/a.txt: unsupported file"},
		{"n above a class", []string{"cat/a.png", "cat/b.png", "dog/a.png"}, Params{"n": 2}, `param "n": 2, but class "dog" holds 1 image files`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := classTree(t, 4, 4, c.entries...)
			p := Params{"source": "class-folders", "path": root}
			for k, v := range c.params {
				p[k] = v
			}
			want := strings.ReplaceAll(c.want, "%ROOT%", root)
			if got := loadErr(t, p); !strings.Contains(got, want) {
				t.Errorf("error %q, want it to contain %q", got, want)
			}
		})
	}
}

// The grey levels written by classTree survive decoding, so a mix-up of
// class order would show in the pixels too.
func TestClassFoldersPixels(t *testing.T) {
	root := classTree(t, 2, 1, "b/x.png", "a/x.png")
	out := loadImages(t, Params{"source": "class-folders", "path": root, "channels": 1})
	got := imagesOf(out).F32
	// a/x.png was written second (grey 20, 21), b/x.png first (0, 1).
	want := []float32{20.0 / 255, 21.0 / 255, 0, 1.0 / 255}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("pixels %v, want %v", got, want)
		}
	}
}
