package experiments

import (
	"os"
	"testing"
	"time"
)

func TestTmpParseBig(t *testing.T) {
	src, _ := os.ReadFile("/work/bench-out/s50k/sweep.yaml")
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		if _, err := Parse("s.yaml", src, nil); err != nil {
			t.Fatal(err)
		}
		t.Log(time.Since(t0))
	}
}
