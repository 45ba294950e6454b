package nn

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// Loader writes image i, C·H·W values in C order, into dst.
type Loader func(i int, dst []float64)

// Batch is one batch of activations handed to an Extract consumer.
// Acts[k] holds the k-th requested layer for images Start..Start+Count−1,
// Count × layer size in C order, as float32. The slices are reused for the
// next batch: a consumer that keeps values must copy them.
type Batch struct {
	Start, Count int
	Acts         [][]float32
}

// Extract runs count images through the net, batch images at a time, and
// calls consume once per batch, in order. Within a batch the images are
// spread over GOMAXPROCS workers; each image is computed on its own with a
// fixed operation order, so the values do not depend on the batch size, the
// number of workers or which other layers are requested. Streaming batch by
// batch lets a consumer write chunks (to a cache or a Gram accumulator)
// instead of holding all activations in memory.
func (n *Net) Extract(ctx context.Context, count int, load Loader, layers []string, batch int, consume func(Batch) error) error {
	if batch < 1 {
		return fmt.Errorf("batch %d; want ≥ 1", batch)
	}
	idx := make([]int, len(layers))
	for k, name := range layers {
		if idx[k] = n.arch.Index(name); idx[k] < 0 {
			return n.unknown(name)
		}
	}
	pl := n.plan(idx)
	workers := make([]*worker, max(1, min(runtime.GOMAXPROCS(0), batch, count)))
	for w := range workers {
		workers[w] = pl.newWorker(n.shapes)
	}
	bufs := make([][]float32, len(layers))
	for k, i := range idx {
		bufs[k] = make([]float32, min(batch, count)*n.shapes[i].Size())
	}
	b := Batch{Acts: make([][]float32, len(layers))}
	for b.Start = 0; b.Start < count; b.Start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.Count = min(batch, count-b.Start)
		for k, i := range idx {
			b.Acts[k] = bufs[k][:b.Count*n.shapes[i].Size()]
		}
		n.runBatch(pl, workers, load, &b)
		if err := consume(b); err != nil {
			return err
		}
	}
	return nil
}

// runBatch computes the images of one batch, each worker taking the next
// image in turn and writing its layers at the image's own slot.
func (n *Net) runBatch(pl *plan, workers []*worker, load Loader, b *Batch) {
	next := make(chan int, b.Count)
	for s := 0; s < b.Count; s++ {
		next <- s
	}
	close(next)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				pl.image(n.shapes, w, load, b, s)
			}
		}()
	}
	wg.Wait()
}
