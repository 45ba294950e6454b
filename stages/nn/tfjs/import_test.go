package tfjs

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages/nn"
)

func TestExportedLiteral(t *testing.T) {
	src := `!function(e){module.exports=e()}(function(){return function e(a,n,i){}({1:[function(e,a,n){` +
		`a.exports={k:"v",b:!0,c:!1,n:.5,m:-1e-3,arr:[1,2,],'q':'it\'s',u:"\u00e9\x41",h:0x10,z:null,v:void 0,` +
		`nested:{deep:[{x:1}]},"quoted key":-0}},{}]},{},[1])(1)});`
	got, err := exportedLiteral([]byte(src), func(v any) bool { _, ok := v.(map[string]any); return ok })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"k": "v", "b": true, "c": false, "n": 0.5, "m": -1e-3, "arr": []any{1.0, 2.0},
		"q": "it's", "u": "éA", "h": 16.0, "z": nil, "v": nil,
		"nested": map[string]any{"deep": []any{map[string]any{"x": 1.0}}}, "quoted key": math.Copysign(0, -1)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	for _, bad := range []string{`a.exports=e()`, `a.exports={k:f(1)}`, `a.exports={k:"open`, `a.exports=[1 2]`} {
		if _, err := exportedLiteral([]byte(bad), func(any) bool { return true }); err == nil {
			t.Errorf("%s: parsed; want an error (code is not data)", bad)
		}
	}
}

// kerasDir writes a tfjs model folder: model.json (or a browserify-style
// model.min.js when bundle) and one weight shard, raw or base64 JS.
func kerasDir(t testing.TB, layers []map[string]any, weights []map[string]any, data []byte, bundle bool) string {
	t.Helper()
	dir := t.TempDir()
	mj := map[string]any{
		"modelTopology": map[string]any{"keras_version": "2.2.4", "model_config": map[string]any{
			"class_name": "Model", "config": map[string]any{"name": "m", "layers": layers}}},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1"}, "weights": weights}},
	}
	b, err := json.Marshal(mj)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if bundle {
		write("model.min.js", []byte("!function(e){module.exports=e()}({1:[function(e,a,n){a.exports="+string(b)+"},{}]});"))
		write("group1-shard1of1.min.js", []byte(`!function(){}({1:[function(e,h,n){h.exports="`+base64.StdEncoding.EncodeToString(data)+`"},{}]});`))
	} else {
		write("model.json", b)
		write("group1-shard1of1", data)
	}
	return dir
}

func layer(name, class string, config map[string]any, inputs ...string) map[string]any {
	var refs []any
	for _, in := range inputs {
		refs = append(refs, []any{in, 0, 0, map[string]any{}})
	}
	nodes := []any{}
	if refs != nil {
		nodes = []any{refs}
	}
	config["name"] = name
	return map[string]any{"name": name, "class_name": class, "config": config, "inbound_nodes": nodes}
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// TestConvFlattenDense checks the layout conversions against Keras
// semantics computed by hand in NHWC: a 3×3 same-padded Conv2D (kernel
// (kh,kw,Cin,Cout)), then Flatten in (H,W,C) order into a Dense.
func TestConvFlattenDense(t *testing.T) {
	const h, w, cin, cout, units = 3, 4, 2, 3, 2
	ck := make([]float32, 3*3*cin*cout)
	for i := range ck {
		ck[i] = float32(i%7) - 3
	}
	dk := make([]float32, h*w*cout*units)
	for i := range dk {
		dk[i] = float32(i%5) - 2
	}
	db := []float32{0.5, -1}
	layers := []map[string]any{
		layer("in", "InputLayer", map[string]any{"batch_input_shape": []any{nil, h, w, cin}}),
		layer("conv", "Conv2D", map[string]any{"filters": cout, "kernel_size": []int{3, 3}, "strides": []int{1, 1},
			"padding": "same", "activation": "linear", "use_bias": false, "dilation_rate": []int{1, 1}}, "in"),
		layer("drop", "Dropout", map[string]any{"rate": 0.5}, "conv"),
		layer("flat", "Flatten", map[string]any{}, "drop"),
		layer("dense", "Dense", map[string]any{"units": units, "activation": "linear", "use_bias": true}, "flat"),
	}
	weights := []map[string]any{
		{"name": "conv/kernel", "shape": []int{3, 3, cin, cout}, "dtype": "float32"},
		{"name": "dense/kernel", "shape": []int{h * w * cout, units}, "dtype": "float32"},
		{"name": "dense/bias", "shape": []int{units}, "dtype": "float32"},
	}
	data := append(append(f32bytes(ck), f32bytes(dk)...), f32bytes(db)...)
	x := make([]float64, h*w*cin) // NHWC
	for i := range x {
		x[i] = float64(i%11)/10 - 0.4
	}
	// Keras semantics in NHWC.
	conv := make([]float64, h*w*cout)
	for y := 0; y < h; y++ {
		for xx := 0; xx < w; xx++ {
			for co := 0; co < cout; co++ {
				s := 0.0
				for i := 0; i < 3; i++ {
					for j := 0; j < 3; j++ {
						yy, xj := y+i-1, xx+j-1
						if yy < 0 || yy >= h || xj < 0 || xj >= w {
							continue
						}
						for ci := 0; ci < cin; ci++ {
							s += float64(ck[((i*3+j)*cin+ci)*cout+co]) * x[(yy*w+xj)*cin+ci]
						}
					}
				}
				conv[(y*w+xx)*cout+co] = s
			}
		}
	}
	want := make([]float64, units)
	for u := range want {
		want[u] = float64(db[u])
		for d, v := range conv {
			want[u] += float64(dk[d*units+u]) * v
		}
	}
	for _, bundle := range []bool{false, true} {
		m, err := Load(kerasDir(t, layers, weights, data, bundle), "tiny")
		if err != nil {
			t.Fatal(err)
		}
		if names := m.Arch.Names(); !reflect.DeepEqual(names, []string{"in", "conv", "flat", "dense"}) {
			t.Fatalf("nodes %v; want the dropout dropped", names)
		}
		got := runTiny(t, m, x, h, w, cin, "dense")
		for u := range want {
			if math.Abs(got[u]-want[u]) > 1e-5*math.Abs(want[u])+1e-5 {
				t.Errorf("bundle=%v: dense[%d] = %v, want %v (Keras NHWC semantics)", bundle, u, got[u], want[u])
			}
		}
	}
}

// runTiny runs one NHWC image through an imported model.
func runTiny(t *testing.T, m *Model, x []float64, h, w, c int, layer string) []float64 {
	t.Helper()
	ws := map[string]nn.Tensor{}
	for k, v := range m.Weights {
		d := make([]float64, len(v.Data))
		for i, f := range v.Data {
			d[i] = float64(f)
		}
		ws[k] = nn.Tensor{Shape: v.Shape, Data: d}
	}
	net, err := nn.Compile(&m.Arch, ws, h, w)
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	err = net.Extract(context.Background(), 1, func(_ int, dst []float64) {
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				dst[ch*h*w+p] = x[p*c+ch]
			}
		}
	}, []string{layer}, 1, func(b nn.Batch) error {
		for _, v := range b.Acts[0] {
			out = append(out, float64(v))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDequantise(t *testing.T) {
	mn, sc := -0.87334511607301, 0.006666756611244351
	w := manifestWeight{Name: "k", Shape: []int{3}, DType: "float32", Quantization: &quantization{DType: "uint8", Min: &mn, Scale: &sc}}
	got, n, err := decodeWeight(w, 3, []byte{0, 131, 255})
	if err != nil || n != 3 {
		t.Fatal(err, n)
	}
	for i, q := range []float64{0, 131, 255} {
		if want := float32(q*sc + mn); got[i] != want {
			t.Errorf("q=%v: %v, want float32(q·scale+min) = %v", q, got[i], want)
		}
	}
	w.Quantization.DType = "uint16"
	if got, n, err = decodeWeight(w, 3, []byte{1, 0, 0, 1, 255, 255}); err != nil || n != 6 || got[1] != float32(256*sc+mn) {
		t.Errorf("uint16: %v %d %v", got, n, err)
	}
	w.Quantization.DType = "float16"
	if _, _, err := decodeWeight(w, 3, make([]byte, 6)); err == nil || !strings.Contains(err.Error(), "float16") {
		t.Errorf("float16 quantisation: %v; want an error naming it", err)
	}
}

// TestUnsupported: every rejection names the layer and what is wanted.
func TestUnsupported(t *testing.T) {
	in := layer("in", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 4, 4, 1}})
	for _, c := range []struct {
		layer map[string]any
		want  string
	}{
		{layer("lstm_1", "LSTM", map[string]any{"units": 3}, "in"), `layer "lstm_1" (LSTM): layer class "LSTM" is not supported`},
		{layer("c", "Conv2D", map[string]any{"filters": 1, "kernel_size": []int{3, 3}, "strides": []int{1, 1}, "padding": "same",
			"dilation_rate": []int{2, 2}, "activation": "linear"}, "in"), `layer "c" (Conv2D): dilation_rate [2 2]`},
		{layer("a", "Activation", map[string]any{"activation": "tanh"}, "in"), `layer "a" (Activation): activation "tanh" is not supported`},
		{layer("r", "ReLU", map[string]any{"negative_slope": 0.1}, "in"), `layer "r" (ReLU): negative_slope 0.1`},
		{layer("p", "MaxPooling2D", map[string]any{"pool_size": []int{2, 2}, "padding": "causal"}, "in"), `layer "p" (MaxPooling2D): padding "causal"`},
		{layer("x", "Concatenate", map[string]any{"axis": 1}, "in"), `layer "x" (Concatenate): axis 1`},
		{layer("f", "Flatten", map[string]any{"data_format": "channels_first"}, "in"), `data_format "channels_first"`},
		{layer("g", "Add", map[string]any{}, "nope"), `layer "g" (Add): reads "nope", which is not an earlier layer`},
	} {
		dir := kerasDir(t, []map[string]any{in, c.layer}, []map[string]any{}, nil, false)
		_, err := Load(dir, "bad")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant an error containing %s", err, c.want)
		}
	}
	// A weight no layer uses, and a shard shorter than its manifest.
	b := []map[string]any{{"name": "ghost/kernel", "shape": []int{1}, "dtype": "float32"}}
	if _, err := Load(kerasDir(t, []map[string]any{in}, b, f32bytes([]float32{1}), false), "m"); err == nil || !strings.Contains(err.Error(), "ghost/kernel") {
		t.Errorf("unused weight: %v", err)
	}
	if _, err := Load(kerasDir(t, []map[string]any{in}, b, []byte{1, 2}, false), "m"); err == nil || !strings.Contains(err.Error(), "needs 4 bytes") {
		t.Errorf("short shard: %v", err)
	}
	if _, err := Load(t.TempDir(), "m"); err == nil || !strings.Contains(err.Error(), "fetch-models.sh") {
		t.Errorf("empty folder: %v", err)
	}
}
