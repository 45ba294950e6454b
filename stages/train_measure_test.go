package stages

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestMeasureFashionEpoch times one epoch of the shallow MLP (784 → 2000
// → 10, Adam, batch 128; EIGENLAB_MEASURE_ARCH=cnn: the init stage's CNN)
// on Fashion-MNIST's 60,000 training images through the stage, with
// EIGENLAB_MEASURE=1 (reg_alpha 2 when EIGENLAB_MEASURE_REG is set, else 0;
// dtype from EIGENLAB_MEASURE_DTYPE, default the stage's); run it under
// /usr/bin/time -v for the peak RSS.
func TestMeasureFashionEpoch(t *testing.T) {
	if os.Getenv("EIGENLAB_MEASURE") == "" {
		t.Skip("set EIGENLAB_MEASURE=1 to measure a Fashion-MNIST epoch")
	}
	ctx := context.Background()
	ld, _ := Lookup("load")
	data := func(split string) Outputs {
		p := withDefaults(ld, Params{"source": "fashion-mnist", "split": split})
		ld.(Defaulter).Defaults(p)
		out, err := ld.Run(ctx, nil, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tr, te := data("train"), data("test")
	arch := "mlp-shallow"
	if os.Getenv("EIGENLAB_MEASURE_ARCH") == "cnn" {
		arch = "cnn"
	}
	m, err := initModel{}.Run(ctx, nil, nil, withDefaults(initModel{}, Params{"arch": arch, "input": []int{1, 28, 28}}))
	if err != nil {
		t.Fatal(err)
	}
	reg := 0.0
	if os.Getenv("EIGENLAB_MEASURE_REG") != "" {
		reg = 2
	}
	p := Params{"epochs": 1, "reg_alpha": reg}
	if dt := os.Getenv("EIGENLAB_MEASURE_DTYPE"); dt != "" {
		p["dtype"] = dt
	}
	start := time.Now()
	out, err := trainStage{}.Run(ctx, nil, Inputs{"model": m["model"], "x": tr["images"], "y": tr["labels"], "x_val": te["images"], "y_val": te["labels"]},
		withDefaults(trainStage{}, p))
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	t.Logf("%s, 1 epoch, reg_alpha %v: %v, %.0f samples/s; curve %v", arch, reg, wall, 60000/wall.Seconds(), out["curve"].(interface{ Float64s() []float64 }).Float64s())
}
