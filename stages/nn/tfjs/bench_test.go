package tfjs

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// BenchmarkMobileNetV2 times the forward pass of the imported MobileNetV2
// to out_relu on 224×224 images, batch images per op, with 1 worker and
// with one per CPU (GOMAXPROCS; each worker computes its own images, its
// GEMMs on its own thread); it reports images/s
// (bench/cnn_vs_reference.sh).
func BenchmarkMobileNetV2(b *testing.B) {
	net := compile(b, "nsfwjs-mobilenetv2")
	const batch = 8
	img := func(i int, dst []float64) {
		for j := range dst {
			dst[j] = float64((i*7919+j)%256) / 255
		}
	}
	for _, workers := range slices.Compact([]int{1, runtime.NumCPU()}) {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(workers))
			for range b.N {
				err := net.Extract(context.Background(), batch, img, []string{"out_relu"}, batch, func(nn.Batch) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
