package stages

import (
	"context"
	"os"

	"github.com/eigenlab/eigenlab/ndarray"
)

type scratchKey struct{}

// WithScratch returns a context whose stages write large outputs into s.
func WithScratch(ctx context.Context, s *ndarray.Scratch) context.Context {
	return context.WithValue(ctx, scratchKey{}, s)
}

// CreateArray starts an array in the Scratch of ctx (see WithScratch; one
// in os.TempDir() that nobody cleans up without one).
func CreateArray(ctx context.Context, dtype ndarray.DType, shape []int) (*ndarray.ArrayWriter, error) {
	s, ok := ctx.Value(scratchKey{}).(*ndarray.Scratch)
	if !ok {
		s = ndarray.NewScratch(os.TempDir())
	}
	return s.CreateArray(dtype, shape)
}
