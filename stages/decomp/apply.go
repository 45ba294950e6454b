package decomp

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Layout places the projected axis inside a row: a row of the input is
// Groups × D × Inner values in C order and the output row is
// Groups × K × Inner (§2.3). Full SRP is {1, 1} (the flattened row),
// channel SRP on N×C×H×W is {1, H·W} (one C×k map at every location) and
// spatial SRP is {C, 1} (one L×k map for every channel).
type Layout struct{ Groups, Inner int }

// panelWidth is the number of values projected together: each nonzero of
// R updates a contiguous run of this many outputs, which amortises the
// index load over several multiply-adds, while the K×panelWidth float64
// accumulator stays in L2 for K up to ~10⁴.
const panelWidth = 8

// Float is the element type of activations.
type Float interface{ ~float32 | ~float64 }

// Apply computes y = x·R along the layout's projected axis for the n rows
// of x, accumulating in float64 and writing y (n rows of Groups·K·Inner,
// overwritten). Rows are taken in batches so that a panel holds at least
// panelWidth vectors; batches and groups are spread over workers (≤ 0
// means GOMAXPROCS). Each output value is summed by one worker over the
// input features in increasing order, so the bytes of y do not depend on
// the number of workers. The values are checked as they are read: it
// returns the index in x of the first NaN or ±Inf, or −1 if all are
// finite (y is then meaningless), which saves a separate pass over inputs
// of gigabytes.
func Apply[T Float](p *Projection, x, y []T, n int, lay Layout, workers int) (firstBad int) {
	rowIn, rowOut := lay.Groups*p.D*lay.Inner, lay.Groups*p.K*lay.Inner
	if len(x) != n*rowIn || len(y) != n*rowOut {
		panic("decomp: Apply: x or y does not match n rows of the layout")
	}
	batch := max(1, (panelWidth+lay.Inner-1)/lay.Inner)
	nBatches := (n + batch - 1) / batch
	units := int64(nBatches * lay.Groups)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	bad := make([]bool, workers) // per worker: a non-finite value was read
	for w := 0; w < min(workers, int(units)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			width := batch * lay.Inner
			px, py := make([]float64, p.D*width), make([]float64, p.K*width)
			for u := next.Add(1) - 1; u < units; u = next.Add(1) - 1 {
				r0, g := int(u)/lay.Groups*batch, int(u)%lay.Groups
				rows := min(batch, n-r0)
				if !gather(px, x[r0*rowIn:], rowIn, rows, batch, g*p.D*lay.Inner, p.D, lay.Inner) {
					bad[w] = true // each goroutine writes only its own slot
				}
				p.panel(px, py, width)
				scatter(y[r0*rowOut:], py, rowOut, rows, batch, g*p.K*lay.Inner, p.K, lay.Inner)
			}
		}()
	}
	wg.Wait()
	if slices.Contains(bad, true) {
		return slices.IndexFunc(x, func(v T) bool { return v-v != 0 })
	}
	return -1
}

// gather copies rows·(D×inner) blocks starting at offset off of
// consecutive rows into the D × (batch·inner) panel px, zero-filling the
// columns of missing rows. It reports whether every value was finite
// (v − v is 0 for finite v and NaN for NaN and ±Inf).
func gather[T Float](px []float64, x []T, rowLen, rows, batch, off, d, inner int) (finite bool) {
	width := batch * inner
	var check T
	for b := 0; b < batch; b++ {
		for f := 0; f < d; f++ {
			dst := px[f*width+b*inner : f*width+b*inner+inner]
			if b >= rows {
				clear(dst)
				continue
			}
			src := x[b*rowLen+off+f*inner : b*rowLen+off+f*inner+inner]
			for i, v := range src {
				dst[i] = float64(v)
				check += v - v
			}
		}
	}
	return check == 0
}

// scatter is the inverse of gather for the K × (batch·inner) result.
func scatter[T Float](y []T, py []float64, rowLen, rows, batch, off, k, inner int) {
	width := batch * inner
	for b := 0; b < rows; b++ {
		for j := 0; j < k; j++ {
			src := py[j*width+b*inner : j*width+b*inner+inner]
			dst := y[b*rowLen+off+j*inner : b*rowLen+off+j*inner+inner]
			for i, v := range src {
				dst[i] = T(v)
			}
		}
	}
}

// panel computes py (K×width) = Rᵀ·px (px is D×width), skipping input
// features that are zero across the panel (ReLU activations).
func (p *Projection) panel(px, py []float64, width int) {
	clear(py)
	if width == panelWidth {
		p.panel8(px, py)
		return
	}
	for d := 0; d < p.D; d++ {
		xd := px[d*width : d*width+width]
		if allZero(xd) {
			continue
		}
		for q := p.rowPtr[d]; q < p.rowPtr[d+1]; q++ {
			v, yj := p.vals[q], py[int(p.cols[q])*width:][:width]
			for i, xv := range xd {
				yj[i] += v * xv
			}
		}
	}
}

// panel8 is panel for width 8 with the panel row held in registers: the
// hot loop of full and spatial SRP (measured 1.5× faster than the generic
// loop: 0.21 s against 0.34 s for 20 panels of D = 10⁵, k = 8000).
func (p *Projection) panel8(px, py []float64) {
	for d := 0; d < p.D; d++ {
		xd := (*[panelWidth]float64)(px[d*panelWidth:])
		if allZero(xd[:]) {
			continue
		}
		x0, x1, x2, x3, x4, x5, x6, x7 := xd[0], xd[1], xd[2], xd[3], xd[4], xd[5], xd[6], xd[7]
		cols, vals := p.cols[p.rowPtr[d]:p.rowPtr[d+1]], p.vals[p.rowPtr[d]:p.rowPtr[d+1]]
		for q, c := range cols {
			v, y := vals[q], (*[panelWidth]float64)(py[int(c)*panelWidth:])
			y[0] += v * x0
			y[1] += v * x1
			y[2] += v * x2
			y[3] += v * x3
			y[4] += v * x4
			y[5] += v * x5
			y[6] += v * x6
			y[7] += v * x7
		}
	}
}

func allZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}
