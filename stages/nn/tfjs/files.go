package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// modelFile is a tfjs model.json: the Keras topology and the manifest of
// the binary weight shards.
type modelFile struct {
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []manifestGroup `json:"weightsManifest"`
	Format          string          `json:"format"`
}

// manifestGroup lists the weights packed, in order, into the
// concatenation of its shard files.
type manifestGroup struct {
	Paths   []string         `json:"paths"`
	Weights []manifestWeight `json:"weights"`
}

type manifestWeight struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

// quantization is tfjs's affine weight quantisation: value = q·scale + min
// for unsigned integers q of dtype uint8 or uint16.
type quantization struct {
	DType string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// ModelFiles lists the files of a model folder that Load reads (the model
// JSON or JS module and its weight shards), so a caller can hash exactly
// what determines the model.
func ModelFiles(dir string) ([]string, error) {
	mf, modelPath, err := readModelFile(dir)
	if err != nil {
		return nil, err
	}
	files := []string{modelPath}
	for _, g := range mf.WeightsManifest {
		for _, p := range g.Paths {
			path, _, err := findShard(dir, p)
			if err != nil {
				return nil, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// readModelFile reads dir/model.json (plain tfjs) or else dir/model.min.js
// (nsfwjs's browserify bundle, whose exported literal is the model JSON).
func readModelFile(dir string) (*modelFile, string, error) {
	var mf modelFile
	for _, name := range []string{"model.json", "model.min.js", "model.js"} {
		path := filepath.Join(dir, name)
		src, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if name != "model.json" {
			lit, err := exportedLiteral(src, func(v any) bool {
				m, ok := v.(map[string]any)
				return ok && m["modelTopology"] != nil
			})
			if err != nil {
				return nil, "", fmt.Errorf("%s: %w (want a bundled tfjs model.json)", path, err)
			}
			if src, err = json.Marshal(lit); err != nil {
				return nil, "", fmt.Errorf("%s: %w", path, err)
			}
		}
		if err := json.Unmarshal(src, &mf); err != nil {
			return nil, "", fmt.Errorf("%s: not a tfjs model.json: %w", path, err)
		}
		if len(mf.ModelTopology) == 0 || len(mf.WeightsManifest) == 0 {
			return nil, "", fmt.Errorf("%s: no modelTopology or weightsManifest; want a tfjs layers model", path)
		}
		return &mf, path, nil
	}
	return nil, "", fmt.Errorf("%s holds no model.json or model.min.js (run scripts/fetch-models.sh)", dir)
}

// findShard resolves a manifest path: the raw binary file, or a JS module
// (path.min.js, path.js) exporting the shard as a base64 string.
func findShard(dir, p string) (string, bool, error) {
	if strings.Contains(p, "..") || filepath.IsAbs(p) {
		return "", false, fmt.Errorf("weight shard path %q leaves the model folder", p)
	}
	for _, c := range []struct {
		suffix string
		js     bool
	}{{"", false}, {".min.js", true}, {".js", true}} {
		path := filepath.Join(dir, p+c.suffix)
		if _, err := os.Stat(path); err == nil {
			return path, c.js, nil
		}
	}
	return "", false, fmt.Errorf("weight shard %q is not in %s (as %s, %s.min.js or %s.js)", p, dir, p, p, p)
}

// elements is the number of values of a weight of the given shape, with an
// error for a negative dimension or a count that more than `left` bytes of
// shards (at ≥ 1 byte a value) could not hold, checked before any product
// can overflow, so nothing is allocated from a number in the manifest.
func elements(shape []int, left int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d != 0 && n > left/d {
			return 0, fmt.Errorf("shape %v needs more values than the %d bytes the shards have left", shape, left)
		}
		n *= d
	}
	return n, nil
}

// readShards concatenates a group's shards in manifest order.
func readShards(dir string, paths []string) ([]byte, error) {
	var buf []byte
	for _, p := range paths {
		path, js, err := findShard(dir, p)
		if err != nil {
			return nil, err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if js {
			lit, err := exportedLiteral(src, func(v any) bool { _, ok := v.(string); return ok })
			if err != nil {
				return nil, fmt.Errorf("%s: %w (want a base64 weight shard)", path, err)
			}
			if src, err = base64.StdEncoding.DecodeString(lit.(string)); err != nil {
				return nil, fmt.Errorf("%s: the exported shard is not base64: %w", path, err)
			}
		}
		buf = append(buf, src...)
	}
	return buf, nil
}

// Weight is a float32 tensor in C order.
type Weight struct {
	Shape []int
	Data  []float32
}

// decodeWeights reads every weight of the manifest, dequantised, by its
// tfjs name ("<layer>/<param>"). Each group's shards must be consumed
// exactly.
func decodeWeights(dir string, groups []manifestGroup) (map[string]Weight, error) {
	out := map[string]Weight{}
	for gi, g := range groups {
		buf, err := readShards(dir, g.Paths)
		if err != nil {
			return nil, err
		}
		off := 0
		for _, w := range g.Weights {
			n, err := elements(w.Shape, len(buf)-off)
			if err != nil {
				return nil, fmt.Errorf("weight %q (group %d, byte %d): %w", w.Name, gi, off, err)
			}
			data, size, err := decodeWeight(w, n, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("weight %q (group %d, byte %d): %w", w.Name, gi, off, err)
			}
			if _, dup := out[w.Name]; dup {
				return nil, fmt.Errorf("weight %q appears twice in the manifest", w.Name)
			}
			out[w.Name] = Weight{Shape: w.Shape, Data: data}
			off += size
		}
		if off != len(buf) {
			return nil, fmt.Errorf("weight group %d (%v): the manifest accounts for %d bytes but the shards hold %d", gi, g.Paths, off, len(buf))
		}
	}
	return out, nil
}

// decodeWeight decodes n values from the start of buf and returns them
// with the number of bytes read.
//
// Dequantisation repeats tfjs-core's decodeWeights exactly: value =
// Math.fround(q*scale + min), i.e. the product and sum in double precision,
// then one rounding to float32. The explicit float64 conversion keeps the
// Go compiler from fusing them into an FMA, which would round differently.
func decodeWeight(w manifestWeight, n int, buf []byte) ([]float32, int, error) {
	if w.DType != "float32" {
		return nil, 0, fmt.Errorf("dtype %q; only float32 weights are supported", w.DType)
	}
	q := w.Quantization
	if q == nil {
		if len(buf) < 4*n {
			return nil, 0, fmt.Errorf("needs %d bytes, the shards have %d left", 4*n, len(buf))
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		return data, 4 * n, nil
	}
	if q.Min == nil || q.Scale == nil {
		return nil, 0, fmt.Errorf("quantization %q without min and scale is not supported", q.DType)
	}
	width := map[string]int{"uint8": 1, "uint16": 2}[q.DType]
	if width == 0 {
		return nil, 0, fmt.Errorf("quantization dtype %q; want uint8 or uint16 (min/scale)", q.DType)
	}
	if len(buf) < width*n {
		return nil, 0, fmt.Errorf("needs %d bytes, the shards have %d left", width*n, len(buf))
	}
	data := make([]float32, n)
	for i := range data {
		v := uint32(buf[i])
		if width == 2 {
			v = uint32(binary.LittleEndian.Uint16(buf[2*i:]))
		}
		data[i] = float32(float64(float64(v)**q.Scale) + *q.Min)
	}
	return data, width * n, nil
}
