//go:build !purego

package linalg

// transpose writes the r×c row-major src (row stride stride), minus
// shift[j] in column j (shift nil: as is), into dst as its c×r transpose,
// row-major, in cache-sized tiles.
func transpose(dst, src []float64, r, c, stride int, shift []float64) {
	const tile = 32
	zero := make([]float64, min(tile, c))
	for i0 := 0; i0 < r; i0 += tile {
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			sh := zero[:j1-j0]
			if shift != nil {
				sh = shift[j0:j1]
			}
			for i := i0; i < min(i0+tile, r); i++ {
				row := src[i*stride+j0 : i*stride+j1]
				for j, v := range row {
					dst[(j0+j)*r+i] = v - sh[j]
				}
			}
		}
	}
}

// transposeSquare transposes the n×n row-major a in place, in tiles.
func transposeSquare(a []float64, n int) {
	const tile = 32
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := i0; j0 < n; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				for j := max(j0, i+1); j < min(j0+tile, n); j++ {
					a[i*n+j], a[j*n+i] = a[j*n+i], a[i*n+j]
				}
			}
		}
	}
}
