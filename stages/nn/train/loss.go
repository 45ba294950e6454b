package train

import (
	"fmt"
	"math"
)

// CrossEntropy returns the mean softmax cross-entropy of the n × k logits
// against labels (nn.CrossEntropyLoss, mean reduction) and writes its
// gradient wrt the logits, (softmax − onehot)/n, into grad (n·k values).
// Each row is computed in float64 as log-softmax with its maximum
// subtracted.
func CrossEntropy[T Float](logits []T, labels []int, k int, grad []T) float64 {
	n := len(labels)
	loss := 0.0
	for i, y := range labels {
		if y < 0 || y >= k {
			panic(fmt.Sprintf("train: label %d of sample %d outside [0, %d)", y, i, k))
		}
		z, g := logits[i*k:(i+1)*k], grad[i*k:(i+1)*k]
		top := math.Inf(-1)
		for _, v := range z {
			top = max(top, float64(v))
		}
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(float64(v) - top)
		}
		lse := math.Log(sum)
		loss -= float64(z[y]) - top - lse
		for j, v := range z {
			g[j] = T(math.Exp(float64(v)-top-lse) / float64(n))
		}
		g[y] -= T(1 / float64(n))
	}
	return loss / float64(n)
}

// Correct counts the rows of the n × k logits whose largest value (the
// first, on ties) is at the label.
func Correct[T Float](logits []T, labels []int, k int) int {
	c := 0
	for i, y := range labels {
		z := logits[i*k : (i+1)*k]
		best := 0
		for j, v := range z {
			if v > z[best] {
				best = j
			}
		}
		if best == y {
			c++
		}
	}
	return c
}
