package stages

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"

	imaging "github.com/eigenlab/eigenlab/stages/images"

	"github.com/eigenlab/eigenlab/ndarray"
)

// fashionDir is where Debian's dataset-fashion-mnist installs its IDX files
// (tests point it at fixtures).
var fashionDir = "/usr/share/datasets/fashion-mnist"

func init() {
	RegisterSource(Source{
		Name: "fashion-mnist",
		Doc: "the first n 28×28 grey images of Fashion-MNIST (Debian dataset-fashion-mnist, IDX files in " + fashionDir +
			"; split train = 60,000, test = 10,000, all = train then test) and their labels (int64, 0–9)",
		Params: []ParamSpec{
			{Name: "split", Type: String, Default: "train", Choices: imaging.Splits, Doc: "train, test or all"},
			nSpec("use the first n images of the split (default all)", true),
			{Name: "classes", Type: IntList, Optional: true, Min: Bound(0), Max: Bound(9), Doc: "keep only the images of these labels (0–9; default all), in file order, before n; labels keep their values"},
			channelsSpec(1), normalizeSpec(),
			{Name: "size", Type: Int, Optional: true, Min: Bound(1), Doc: "resample to size×size (Catmull-Rom, as load folder resizes), e.g. for pretrained nets that need more than 28 px (default: native 28×28)"},
		},
		Outputs:  []string{"images", "labels"},
		Run:      loadFashion,
		Validate: checkChannels,
		Resources: func(p Params) Resources {
			n := 70000
			if p.Has("n") {
				n = min(n, p.Int("n"))
			}
			// gunzipped file (47 MB at most) + float32 images + labels
			return Resources{Threads: 1, MemBytes: 48<<20 + int64(n)*(int64(p.Int("channels"))*28*28*4+8)}
		},
	})
}

// fashionFiles are the IDX files of a split, images then labels.
func fashionFiles(split string) [][2]string {
	train := [2]string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}
	test := [2]string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	switch split {
	case "test":
		return [][2]string{test}
	case "all":
		return [][2]string{train, test}
	}
	return [][2]string{train}
}

func loadFashion(ctx context.Context, p Params) (Outputs, error) {
	var pix []byte
	var labels []int64
	for _, pair := range fashionFiles(p.String("split")) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ip, lp := filepath.Join(fashionDir, pair[0]), filepath.Join(fashionDir, pair[1])
		if _, err := os.Stat(ip); err != nil {
			return nil, fmt.Errorf("fashion-mnist: %w; run `make data` (scripts/setup.sh installs Debian's dataset-fashion-mnist)", err)
		}
		im, err := imaging.ReadIDXFile(ip, 3)
		if err != nil {
			return nil, err
		}
		if im.Dims[1] != 28 || im.Dims[2] != 28 {
			return nil, fmt.Errorf("%s: images are %d×%d, want 28×28", ip, im.Dims[1], im.Dims[2])
		}
		lb, err := imaging.ReadIDXFile(lp, 1)
		if err != nil {
			return nil, err
		}
		if lb.Dims[0] != im.Dims[0] {
			return nil, fmt.Errorf("%s holds %d labels but %s holds %d images", lp, lb.Dims[0], ip, im.Dims[0])
		}
		for i, l := range lb.Data {
			if l > 9 {
				return nil, fmt.Errorf("%s: label %d of image %d, want 0–9", lp, l, i)
			}
			labels = append(labels, int64(l))
		}
		pix = append(pix, im.Data...)
	}
	if p.Has("classes") {
		pix, labels = keepClasses(pix, labels, p.Ints("classes"))
	}
	n := len(labels)
	if p.Has("n") {
		if p.Int("n") > n {
			return nil, fmt.Errorf("param \"n\": %d, but split %q holds %d images (of the kept classes)", p.Int("n"), p.String("split"), n)
		}
		n = p.Int("n")
	}
	ch, side := p.Int("channels"), 28
	if p.Has("size") {
		side = p.Int("size")
	}
	out := newImages(n, ch, side, side)
	plane := side * side
	for i := 0; i < n; i++ {
		src := fashionImage(pix[i*28*28:(i+1)*28*28], side)
		for c := 0; c < ch; c++ {
			dst := out.F32[(i*ch+c)*plane : (i*ch+c+1)*plane]
			for j, v := range src {
				dst[j] = float32(v) / 255
			}
		}
	}
	if err := normalizeImages(out, p); err != nil {
		return nil, err
	}
	lab := &ndarray.Array{Shape: []int{n}, Axes: []string{"image"}, I64: labels[:n:n]}
	return Outputs{"images": out, "labels": lab}, nil
}

// keepClasses keeps the 28×28 images (and labels) whose label is in
// classes, in order.
func keepClasses(pix []byte, labels []int64, classes []int) ([]byte, []int64) {
	keep := [10]bool{}
	for _, c := range classes {
		keep[c] = true
	}
	const plane = 28 * 28
	outPix, outLab := pix[:0], labels[:0]
	for i, l := range labels {
		if keep[l] {
			outPix = append(outPix, pix[i*plane:(i+1)*plane]...)
			outLab = append(outLab, l)
		}
	}
	return outPix, outLab
}

// fashionImage is a 28×28 grey image's pixels resampled to side×side
// (unchanged at 28).
func fashionImage(pix []byte, side int) []byte {
	if side == 28 {
		return pix
	}
	g := &image.Gray{Pix: pix, Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
	m := imaging.Resize(g, side, side)
	out := make([]byte, side*side)
	for j := range out {
		out[j] = m.Pix[4*j] // grey: R = G = B
	}
	return out
}
