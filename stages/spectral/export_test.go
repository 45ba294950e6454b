package spectral

// SetBlockElems sets the block size of the views (so tests can force many
// blocks on small data) and returns a function that restores it.
func SetBlockElems(n int) (restore func()) {
	old := blockElems
	blockElems = n
	return func() { blockElems = old }
}

// CvSwaps is one cvPCA estimate for a given swap pattern, through the
// stimulus-space (gram) or the feature-space route.
func CvSwaps(x1, x2 Tensor, swaps []bool, gram bool) ([]float64, error) {
	if gram {
		return gramCv(x1, x2)(identity(x1.N()), swaps)
	}
	return directCv(x1, x2)(identity(x1.N()), swaps)
}
