package tfjs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The golden inputs are real photos (DATA.md §1.2) centre-cropped to a
// square and box-filtered down to the net's input size, stored as uint8
// RGB, N×H×W×3 .npy files. Both Go and node turn a byte u into the float32
// float32(u/255) (the division in double precision), so the two forward
// passes read bit-identical inputs. Regenerate them (they are committed)
// with
//
//	go test ./stages/nn/tfjs -run TestInputsFromPhotos -update-inputs
//
// which needs the Debian wallpaper packages that scripts/setup.sh installs.
var updateInputs = flag.Bool("update-inputs", false, "rewrite testdata/inputs-*.npy from the photos in /usr/share")

// photo is one input image and its licence (the committed crops are
// derived works: CC0 and CC-BY-4.0 only; see testdata/README.md).
type photo struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Licence string `json:"licence"`
}

// goldenPhotos are committed as crops; the per-layer goldens use them.
var goldenPhotos = []photo{
	{"seeding", "/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg", "CC0-1.0, Clemens Engelhardt"},
	{"picture_0b", "/usr/share/backgrounds/Picture_0B_by_freespace.jpg", "CC-BY-4.0, Trevor \"Freespace\""},
	{"friends", "/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg", "CC-BY-4.0, Aitzol Berasategi"},
	{"wine", "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0, Jakub Mede"},
}

// headPhotos are DATA.md §2.2 photos whose licences (GPL-2+, LGPL) we do
// not copy: only the tfjs head outputs are committed, and the test
// rebuilds the crops from /usr/share when the packages are installed.
var headPhotos = []photo{
	{"ladybird", "/usr/share/backgrounds/mate/nature/LadyBird.jpg", "GPL-2+ (not committed)"},
	{"path", "/usr/share/wallpapers/Path/contents/images/2560x1600.jpg", "LGPL-3 (not committed)"},
}

// preprocess decodes a photo, takes its centre square and averages it
// down to size×size (each output pixel the rounded mean of its integer
// box of source pixels), returning H×W×3 RGB bytes.
func preprocess(path string, size int) ([]uint8, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	out := make([]uint8, size*size*3)
	for oy := 0; oy < size; oy++ {
		sy0, sy1 := y0+oy*side/size, y0+(oy+1)*side/size
		for ox := 0; ox < size; ox++ {
			sx0, sx1 := x0+ox*side/size, x0+(ox+1)*side/size
			var sum [3]uint64
			for y := sy0; y < sy1; y++ {
				for x := sx0; x < sx1; x++ {
					r, g, b := rgb(img, x, y)
					sum[0] += uint64(r)
					sum[1] += uint64(g)
					sum[2] += uint64(b)
				}
			}
			n := uint64((sy1 - sy0) * (sx1 - sx0))
			for c := range sum {
				out[(oy*size+ox)*3+c] = uint8((sum[c] + n/2) / n)
			}
		}
	}
	return out, nil
}

func rgb(img image.Image, x, y int) (uint8, uint8, uint8) {
	switch m := img.(type) {
	case *image.YCbCr:
		c := m.YCbCrAt(x, y)
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case *image.Gray:
		v := m.GrayAt(x, y).Y
		return v, v, v
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)
}

// inputFloat is the float32 both implementations compute from a byte.
func inputFloat(u uint8) float32 { return float32(float64(u) / 255) }

// writeU8NPY writes a uint8 .npy (format 1.0).
func writeU8NPY(path string, data []uint8, shape ...int) error {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	header := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%s), }", strings.Join(dims, ", "))
	pad := 64 - (10+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	buf.Write(data)
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

var npyShape = regexp.MustCompile(`'shape': \(([0-9, ]*)\)`)

// readU8NPY reads a uint8 .npy written by writeU8NPY.
func readU8NPY(path string) ([]uint8, []int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) < 10 || string(raw[:8]) != "\x93NUMPY\x01\x00" {
		return nil, nil, fmt.Errorf("%s: not a version 1.0 .npy", path)
	}
	hl := int(binary.LittleEndian.Uint16(raw[8:]))
	header := string(raw[10 : 10+hl])
	m := npyShape.FindStringSubmatch(header)
	if !strings.Contains(header, "'|u1'") || m == nil {
		return nil, nil, fmt.Errorf("%s: header %q; want uint8 C order", path, header)
	}
	var shape []int
	n := 1
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			d, _ := strconv.Atoi(s)
			shape = append(shape, d)
			n *= d
		}
	}
	data := raw[10+hl:]
	if len(data) != n {
		return nil, nil, fmt.Errorf("%s: %d bytes for shape %v", path, len(data), shape)
	}
	return data, shape, nil
}

// inputsIndex is testdata/inputs.json: what the .npy files hold.
type inputsIndex struct {
	Images []photo           `json:"images"`
	Files  map[string]string `json:"files"` // input size → .npy
	Note   string            `json:"note"`
}

// inputSizes are the input sizes of the nets with goldens (MobileNetV2,
// InceptionV3), one committed inputs-SIZE.npy each.
var inputSizes = []int{224, 299}

// TestInputsFromPhotos requires the committed inputs-*.npy to be the crops
// of goldenPhotos, in order, as inputs.json says: always the index and the
// shapes, and, when the photos are installed, the bytes, rebuilt from the
// photos. So a change to preprocess (which the head check also uses)
// cannot part the goldens from their inputs unnoticed. With -update-inputs
// the files are rewritten first.
func TestInputsFromPhotos(t *testing.T) {
	if *updateInputs {
		writeInputs(t)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx inputsIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatalf("inputs.json: %v", err)
	}
	if !slices.Equal(idx.Images, goldenPhotos) {
		t.Errorf("inputs.json lists %v, want goldenPhotos %v", idx.Images, goldenPhotos)
	}
	missing := slices.IndexFunc(goldenPhotos, func(p photo) bool { _, err := os.Stat(p.Path); return err != nil })
	for _, size := range inputSizes {
		data, shape, err := readU8NPY(filepath.Join("testdata", idx.Files[strconv.Itoa(size)]))
		if err != nil {
			t.Fatalf("inputs for size %d: %v", size, err)
		}
		if want := []int{len(goldenPhotos), size, size, 3}; !slices.Equal(shape, want) {
			t.Fatalf("inputs for size %d have shape %v, want %v", size, shape, want)
		}
		if missing < 0 {
			checkCrops(t, data, size)
		}
	}
	if missing >= 0 {
		t.Skipf("index and shapes checked; crops not rebuilt: %s is not installed (scripts/setup.sh)", goldenPhotos[missing].Path)
	}
}

// checkCrops requires data (N×size×size×3) to hold goldenPhotos' crops.
func checkCrops(t *testing.T, data []uint8, size int) {
	t.Helper()
	n := size * size * 3
	for i, p := range goldenPhotos {
		px, err := preprocess(p.Path, size)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(px, data[i*n:(i+1)*n]) {
			t.Errorf("%s at %d×%d: the committed crop differs from the photo's; if preprocess changed on purpose, rerun with -update-inputs and regenerate the goldens (testdata/README.md)", p.Name, size, size)
		}
	}
}

// writeInputs rewrites testdata/inputs-*.npy and inputs.json from the
// photos, and the head-only crops to a scratch file for reference.js.
func writeInputs(t *testing.T) {
	t.Helper()
	idx := inputsIndex{Images: goldenPhotos, Files: map[string]string{},
		Note: "centre square crop, box-filtered to size, uint8 RGB NHWC; input = float32(u/255); see inputs_test.go"}
	for _, size := range inputSizes {
		var all []uint8
		for _, p := range goldenPhotos {
			px, err := preprocess(p.Path, size)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, px...)
		}
		name := fmt.Sprintf("inputs-%d.npy", size)
		if err := writeU8NPY(filepath.Join("testdata", name), all, len(goldenPhotos), size, size, 3); err != nil {
			t.Fatal(err)
		}
		idx.Files[strconv.Itoa(size)] = name
		// The head-only photos go to a scratch file for reference.js.
		var extra []uint8
		for _, p := range headPhotos {
			px, err := preprocess(p.Path, size)
			if err != nil {
				t.Fatal(err)
			}
			extra = append(extra, px...)
		}
		if err := writeU8NPY(filepath.Join(os.TempDir(), fmt.Sprintf("eigenlab-head-%d.npy", size)), extra, len(headPhotos), size, size, 3); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.MarshalIndent(idx, "", "  ")
	if err := os.WriteFile(filepath.Join("testdata", "inputs.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
