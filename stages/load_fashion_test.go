package stages

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

func haveFashion(t testing.TB) {
	if _, err := os.Stat(filepath.Join(fashionDir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("dataset-fashion-mnist not installed (make data): %v", err)
	}
}

// The real files: the first labels of each split (as torchvision and
// Keras load them), the unit range, channel replication, split all.
func TestFashionSource(t *testing.T) {
	haveFashion(t)
	for _, tc := range []struct {
		split  string
		labels []int64
	}{
		{"test", []int64{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}},
		{"train", []int64{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
		{"all", []int64{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
	} {
		out := loadImages(t, Params{"source": "fashion-mnist", "split": tc.split, "n": 10})
		a, lab := imagesOf(out), out["labels"].(*ndarray.Array)
		if a.Describe() != "float32[10 1 28 28]" || !reflect.DeepEqual(lab.I64, tc.labels) {
			t.Errorf("%s: %s, labels %v, want %v", tc.split, a.Describe(), lab.I64, tc.labels)
		}
		lo, hi := float32(1), float32(0)
		for _, v := range a.F32 {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: range [%v, %v], want [0, 1]", tc.split, lo, hi)
		}
	}
	rgb := imagesOf(loadImages(t, Params{"source": "fashion-mnist", "split": "test", "n": 3, "channels": 3, "normalize": "symmetric"}))
	for i := 0; i < 784; i++ {
		if v := rgb.F32[i]; v != rgb.F32[784+i] || v != rgb.F32[2*784+i] || v < -1 || v > 1 {
			t.Fatalf("pixel %d: %v %v %v", i, v, rgb.F32[784+i], rgb.F32[2*784+i])
		}
	}
	out := loadImages(t, Params{"source": "fashion-mnist", "split": "test"})
	if imagesOf(out).Shape[0] != 10000 || out["labels"].(*ndarray.Array).Len() != 10000 {
		t.Errorf("test split: %s", imagesOf(out).Describe())
	}
	if got := loadErr(t, Params{"source": "fashion-mnist", "split": "test", "n": 10001}); !strings.Contains(got, `split "test" holds 10000 images`) {
		t.Errorf("n too large: %q", got)
	}
}

// classes keeps the images of the given labels in file order: on the
// test split, labels 1 and 7 are images 2, 3, 5 and 9.
func TestFashionClasses(t *testing.T) {
	haveFashion(t)
	all := imagesOf(loadImages(t, Params{"source": "fashion-mnist", "split": "test", "n": 10}))
	out := loadImages(t, Params{"source": "fashion-mnist", "split": "test", "n": 4, "classes": []int{7, 1}})
	a, lab := imagesOf(out), out["labels"].(*ndarray.Array)
	if !reflect.DeepEqual(lab.I64, []int64{1, 1, 1, 7}) {
		t.Fatalf("labels %v, want [1 1 1 7]", lab.I64)
	}
	for k, i := range []int{2, 3, 5, 9} {
		if !reflect.DeepEqual(a.F32[k*784:(k+1)*784], all.F32[i*784:(i+1)*784]) {
			t.Errorf("kept image %d is not test image %d", k, i)
		}
	}
}

// fakeIDX writes a gzipped IDX file.
func fakeIDX(t *testing.T, path string, magic uint32, dims []uint32, body []byte, cut int) {
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, magic)
	binary.Write(&raw, binary.BigEndian, dims)
	raw.Write(body)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	if err := os.WriteFile(path, gz.Bytes()[:gz.Len()-cut], 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bad files are errors that name the file and say what is wrong.
func TestFashionBadFiles(t *testing.T) {
	defer func(d string) { fashionDir = d }(fashionDir)
	img := func(n int) []byte { return bytes.Repeat([]byte{7}, n*784) }
	for _, tc := range []struct {
		name  string
		write func(dir string)
		want  string
	}{
		{"ok", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 28, 28}, img(3), 0)
			fakeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 0x801, []uint32{3}, []byte{0, 5, 9}, 0)
		}, ""},
		{"missing", func(dir string) {}, "run `make data`"},
		{"bad magic", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x801, []uint32{3, 28, 28}, img(3), 0)
		}, "t10k-images-idx3-ubyte.gz: IDX magic 0x00000801, want 0x00000803"},
		{"truncated", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 28, 28}, img(3), 9)
		}, "t10k-images-idx3-ubyte.gz: reading IDX body after"},
		{"short body", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 28, 28}, img(2), 0)
		}, "t10k-images-idx3-ubyte.gz: truncated IDX body: 1568 of 2352 bytes"},
		{"wrong size", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 14, 56}, img(3), 0)
		}, "images are 14×56, want 28×28"},
		{"label count", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 28, 28}, img(3), 0)
			fakeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 0x801, []uint32{2}, []byte{0, 5}, 0)
		}, "t10k-labels-idx1-ubyte.gz holds 2 labels but"},
		{"bad label", func(dir string) {
			fakeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), 0x803, []uint32{3, 28, 28}, img(3), 0)
			fakeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 0x801, []uint32{3}, []byte{0, 10, 9}, 0)
		}, "t10k-labels-idx1-ubyte.gz: label 10 of image 1, want 0–9"},
	} {
		fashionDir = t.TempDir()
		tc.write(fashionDir)
		got := loadErr(t, Params{"source": "fashion-mnist", "split": "test"})
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: error %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Param size resamples every image: size 56 doubles each side and keeps
// the mean pixel within 1%.
func TestFashionSize(t *testing.T) {
	haveFashion(t)
	small := imagesOf(loadImages(t, Params{"source": "fashion-mnist", "split": "test", "n": 2}))
	big := imagesOf(loadImages(t, Params{"source": "fashion-mnist", "split": "test", "n": 2, "size": 56}))
	if big.Describe() != "float32[2 1 56 56]" {
		t.Fatalf("size 56: %s", big.Describe())
	}
	var ms, mb float64
	for _, v := range small.F32 {
		ms += float64(v) / float64(len(small.F32))
	}
	for _, v := range big.F32 {
		mb += float64(v) / float64(len(big.F32))
	}
	if math.Abs(mb-ms) > 0.01*ms {
		t.Errorf("mean pixel %v at 28 px, %v at 56 px", ms, mb)
	}
}
