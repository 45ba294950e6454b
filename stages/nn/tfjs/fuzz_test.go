package tfjs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary model.json and weight-shard bytes to Load: an
// untrusted model folder must give a model or an error, never a panic, a
// hang or an allocation sized by a number in the file.
func FuzzLoad(f *testing.F) {
	layers := []map[string]any{
		layer("in", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 2, 2, 1}}),
		layer("flat", "Flatten", map[string]any{}, "in"),
		layer("dense", "Dense", map[string]any{"units": 2, "activation": "relu", "use_bias": true}, "flat"),
	}
	weights := []map[string]any{
		{"name": "dense/kernel", "shape": []int{4, 2}, "dtype": "float32"},
		{"name": "dense/bias", "shape": []int{2}, "dtype": "float32"},
	}
	valid := kerasDir(f, layers, weights, f32bytes(make([]float32, 10)), false)
	model, err := os.ReadFile(filepath.Join(valid, "model.json"))
	if err != nil {
		f.Fatal(err)
	}
	shard := f32bytes(make([]float32, 10))
	f.Add(model, shard)
	f.Add(model, shard[:7])
	huge, _ := json.Marshal([]map[string]any{{"name": "dense/kernel", "shape": []int64{1 << 40, 1 << 40}, "dtype": "float32"}})
	f.Add(append(model[:len(model)-1:len(model)-1], []byte(`,"weightsManifest":[{"paths":["group1-shard1of1"],"weights":`+string(huge)+`}]}`)...), shard)
	f.Add([]byte(`{"modelTopology":{"model_config":{"config":{"layers":[{"class_name":"Dense","config":{"units":-5}}]}}}}`), shard)
	f.Fuzz(func(t *testing.T, model, shard []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "model.json"), model, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "group1-shard1of1"), shard, 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := Load(dir, "fuzz"); err == nil && m == nil {
			t.Fatal("Load returned neither a model nor an error")
		}
	})
}

// TestHugeShapeRefused: a manifest shape whose product overflows or
// exceeds the shard bytes is an error naming the weight, before anything
// sized by it is allocated.
func TestHugeShapeRefused(t *testing.T) {
	layers := []map[string]any{layer("in", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 2, 2, 1}})}
	for _, shape := range [][]int64{{1 << 40, 1 << 40}, {1 << 62, 4}, {3000000, 100000}, {-4, -2}} {
		dir := kerasDir(t, layers, []map[string]any{{"name": "w", "shape": shape, "dtype": "float32"}}, make([]byte, 64), false)
		_, err := Load(dir, "x")
		if err == nil || !strings.Contains(err.Error(), `weight "w"`) {
			t.Errorf("shape %v: err = %v; want an error naming weight \"w\"", shape, err)
		}
	}
}
