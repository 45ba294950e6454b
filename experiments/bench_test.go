package experiments

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseSweep parses and expands a 10^4-cell sweep of three
// chained stages (10, 100 and 10^4 instances).
func BenchmarkParseSweep(b *testing.B) {
	var axes strings.Builder
	for _, name := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(&axes, "  %s: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n", name)
	}
	src := []byte("name: big\nmatrix:\n" + axes.String() + "stages:\n" +
		"  s1: {kind: fake, params: {n: \"${a}\"}}\n" +
		"  s2: {kind: fake, params: {n: \"${b}\"}, inputs: {x: s1}}\n" +
		"  s3: {kind: fake, params: {n: \"${c}\", ranks: [\"${d}\", 2]}, inputs: {x: s2}}\n")
	for i := 0; i < b.N; i++ {
		if _, err := Parse("big.yaml", src, nil); err != nil {
			b.Fatal(err)
		}
	}
}
