package nn

// The forward pass of one set of requested layers is planned once per
// Extract call:
//
//   - Fusion. A batch_norm or relu node, or an add of two distinct
//     nodes, whose input is computed only for it (no other consumer, not
//     requested) joins the step that computes that input as an
//     elementwise tail, and a zero_pad node read only by a convolution
//     becomes that convolution's padding. Every element still goes
//     through the same float32 operations in the same order, so a layer's
//     values do not depend on which other layers are requested.
//   - Liveness. Each step's output gets a buffer that is returned to a
//     pool after the last step that reads it; requested layers are written
//     straight into the batch's activations and never reused.

// step is one kernel call: the kernel of node first, then the tail of the
// nodes fused into it; node is the last of them, whose output it writes.
type step struct {
	first, node int
	k           kernel
	ins         []int // the kernel's inputs
	args        []int // the tail's add operands
	post        post
}

// plan is the forward pass to a set of requested layers.
type plan struct {
	steps []step
	input int
	slot  []int   // node → buffer index, −1: none (requested, fused or unused)
	sizes []int   // buffer → number of values
	req   [][]int // node → the indices in the request that name it
	reqs  []int   // the requested nodes, each once, in request order
}

// plan fuses and schedules the nodes the requested ones (idx) depend on.
func (n *Net) plan(idx []int) *plan {
	need := n.needed(idx)
	count := len(n.shapes)
	pl := &plan{input: n.input, req: make([][]int, count)}
	for k, i := range idx {
		if pl.req[i] == nil {
			pl.reqs = append(pl.reqs, i)
		}
		pl.req[i] = append(pl.req[i], k)
	}
	uses := make([]int, count)
	for j := range count {
		if need[j] {
			for _, i := range n.inputs[j] {
				uses[i]++
			}
		}
	}
	// at[v] is the index in steps of the step that writes v, −1 if none;
	// a step fused into a later one leaves a nil kernel behind.
	var steps []step
	at := make([]int, count)
	for i := range at {
		at[i] = -1
	}
	private := func(v int) bool {
		return at[v] >= 0 && pl.req[v] == nil && uses[v] == 1 && !steps[at[v]].post.softmax
	}
	take := func(v int) step {
		s := steps[at[v]]
		steps[at[v]].k, at[v] = nil, -1
		return s
	}
	for j, node := range n.arch.Nodes {
		if !need[j] || j == n.input {
			continue
		}
		ins := n.inputs[j]
		var s step
		switch {
		case (node.Op == OpBatchNorm || node.Op == OpReLU) && private(ins[0]):
			s = take(ins[0])
			s.post.ops = append(s.post.ops, n.ownOps(j)...)
		case node.Op == OpAdd && len(ins) == 2 && (private(ins[0]) || private(ins[1])):
			v, w := ins[0], ins[1]
			if !private(v) { // a + b is b + a in floating point
				v, w = w, v
			}
			s = take(v)
			s.post.ops = append(s.post.ops, postOp{kind: postAdd, arg: len(s.args)})
			s.args = append(s.args, w)
		default:
			s = n.newStep(j)
			if node.Op == OpConv || node.Op == OpDepthwise {
				if v := ins[0]; private(v) && n.arch.Nodes[v].Op == OpZeroPad && steps[at[v]].node == v && len(steps[at[v]].post.ops) == 0 {
					take(v)
					s.ins = n.inputs[v]
					s.k = n.newKernel(j, n.arch.Nodes[v].Pad)
				}
			}
		}
		s.node = j
		at[j] = len(steps)
		steps = append(steps, s)
	}
	for _, s := range steps {
		if s.k != nil {
			pl.steps = append(pl.steps, s)
		}
	}
	pl.allocate(n.shapes)
	return pl
}

// newStep is node j computed on its own: its kernel and its own tail.
func (n *Net) newStep(j int) step {
	s := step{first: j, k: n.newKernel(j, nil), ins: n.inputs[j]}
	out := n.shapes[j]
	s.post.c, s.post.l = out[0], out.Size()/out[0]
	s.post.ops = n.ownOps(j)
	switch node := &n.arch.Nodes[j]; node.Op {
	case OpAdd:
		s.ins = n.inputs[j][:1]
		for k, i := range n.inputs[j][1:] {
			s.post.ops = append(s.post.ops, postOp{kind: postAdd, arg: k})
			s.args = append(s.args, i)
		}
	case OpSoftmax:
		s.post.softmax = true
	default:
		s.post.softmax = node.Activation == ActSoftmax
	}
	return s
}

// ownOps are the elementwise operations node j applies after its kernel.
func (n *Net) ownOps(j int) []postOp {
	node, p := &n.arch.Nodes[j], &n.params[j]
	var ops []postOp
	switch node.Op {
	case OpBatchNorm:
		return append(ops, postOp{kind: postBN, scale: p.scale, shift: p.shift})
	case OpReLU:
		return append(ops, postOp{kind: postReLU, cap: float32(max(node.MaxValue, 0))})
	}
	if p.bias != nil {
		ops = append(ops, postOp{kind: postBias, shift: p.bias})
	}
	switch node.Activation {
	case ActReLU:
		ops = append(ops, postOp{kind: postReLU})
	case ActReLU6:
		ops = append(ops, postOp{kind: postReLU, cap: 6})
	}
	return ops
}

// newKernel is the kernel of node j; pad, when not nil, is the padding of
// a zero_pad node the convolution j reads through.
func (n *Net) newKernel(j int, pad []int) kernel {
	node, p := &n.arch.Nodes[j], &n.params[j]
	in, out := n.shapes[n.inputs[j][0]], n.shapes[j]
	switch node.Op {
	case OpConv, OpDepthwise:
		g := newWindow(node, in, out)
		if pad != nil {
			g = g.padded(pad)
		}
		if node.Op == OpDepthwise {
			return &depthwise{window: g, mult: node.multiplier(), weight: p.weight}
		}
		return newConv(g, node.groups(), p.weight)
	case OpMaxPool, OpAvgPool:
		return &pool{window: newWindow(node, in, out), max: node.Op == OpMaxPool}
	case OpBatchNorm, OpReLU, OpAdd, OpSoftmax, OpFlatten:
		return identity{}
	case OpDense:
		return dense(p.weight, out[0], in.Size())
	case OpConcat:
		return kernelFunc(concat)
	case OpGlobalAvgPool:
		return globalAvgPool(in.Size() / in[0])
	case OpZeroPad:
		return zeroPad(in, out, node.Pad)
	}
	panic("nn: no kernel for op " + node.Op) // Infer has rejected unknown ops
}

// allocate gives every computed node that is not requested a buffer, best
// fit from the buffers no later step reads, and records the sizes.
func (pl *plan) allocate(shapes []Shape) {
	last := make([]int, len(shapes)) // node → the last step reading it
	for i := range last {
		last[i] = -1
	}
	for s, st := range pl.steps {
		for _, i := range st.ins {
			last[i] = s
		}
		for _, i := range st.args {
			last[i] = s
		}
	}
	pl.slot = make([]int, len(shapes))
	for i := range pl.slot {
		pl.slot[i] = -1
	}
	var free []int
	get := func(i int) {
		if pl.req[i] != nil {
			return
		}
		size, best := shapes[i].Size(), -1
		for k, b := range free {
			fits, bestFits := pl.sizes[b] >= size, best >= 0 && pl.sizes[free[best]] >= size
			switch {
			case best < 0,
				fits && (!bestFits || pl.sizes[b] < pl.sizes[free[best]]),
				!fits && !bestFits && pl.sizes[b] > pl.sizes[free[best]]:
				best = k
			}
		}
		if best < 0 {
			pl.slot[i] = len(pl.sizes)
			pl.sizes = append(pl.sizes, size)
			return
		}
		b := free[best]
		free = append(free[:best], free[best+1:]...)
		pl.slot[i], pl.sizes[b] = b, max(pl.sizes[b], size)
	}
	release := func(i, s int) {
		if last[i] == s && pl.slot[i] >= 0 {
			free = append(free, pl.slot[i])
			last[i] = -2 // released once, however often the step reads it
		}
	}
	get(pl.input)
	for s, st := range pl.steps {
		get(st.node)
		for _, i := range st.ins {
			release(i, s)
		}
		for _, i := range st.args {
			release(i, s)
		}
		release(st.node, -1) // never read (cannot happen for needed nodes)
	}
}

// worker is one goroutine's memory: the plan's buffers and scratch,
// allocated once and reused for every image.
type worker struct {
	vals      [][]float32 // node → its values for the current image
	in64      []float64   // the loader's image
	sc        scratch
	ins, args [][]float32
}

func (pl *plan) newWorker(shapes []Shape) *worker {
	w := &worker{vals: make([][]float32, len(shapes)), in64: make([]float64, shapes[pl.input].Size())}
	bufs := make([][]float32, len(pl.sizes))
	for b, size := range pl.sizes {
		bufs[b] = make([]float32, size)
	}
	for i, b := range pl.slot {
		if b >= 0 {
			w.vals[i] = bufs[b][:shapes[i].Size()]
		}
	}
	return w
}

// image computes image s of batch b into its slots of b.Acts.
func (pl *plan) image(shapes []Shape, w *worker, load Loader, b *Batch, s int) {
	for _, i := range pl.reqs {
		size := shapes[i].Size()
		w.vals[i] = b.Acts[pl.req[i][0]][s*size : (s+1)*size]
	}
	load(b.Start+s, w.in64)
	in := w.vals[pl.input][:len(w.in64)]
	for j, v := range w.in64 {
		in[j] = float32(v)
	}
	for k := range pl.steps {
		st := &pl.steps[k]
		w.ins, w.args = w.ins[:0], w.args[:0]
		for _, i := range st.ins {
			w.ins = append(w.ins, w.vals[i])
		}
		for _, i := range st.args {
			w.args = append(w.args, w.vals[i])
		}
		st.k.run(w.ins, w.vals[st.node], tail{&st.post, w.args}, &w.sc)
	}
	for _, i := range pl.reqs { // a layer requested more than once
		for _, k := range pl.req[i][1:] {
			copy(b.Acts[k][s*len(w.vals[i]):], w.vals[i])
		}
	}
}
