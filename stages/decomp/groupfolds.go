package decomp

import (
	"fmt"
	"math/bits"
	"slices"
)

// GroupFolds assigns rows to k folds so that no group is on both sides of a
// fold (group k-fold, §3.4), exactly as scikit-learn 1.2's GroupKFold:
// groups are ordered by their labels, sorted by size, largest first (the
// reverse of numpy's default argsort, whose tie order ArgsortNumpy
// reproduces), and each goes to the currently lightest fold (the first on
// ties). Fold f holds the rows GroupKFold's f-th split tests. It returns
// the fold label of each row and the number of distinct groups, and an
// error when there are fewer groups than folds.
func GroupFolds(groups []int64, k int) (labels []int, nGroups int, err error) {
	uniq, index := unique(groups)
	if len(uniq) < k {
		return nil, len(uniq), fmt.Errorf("%d distinct groups cannot fill %d folds (each fold needs at least one group)", len(uniq), k)
	}
	sizes := make([]int64, len(uniq))
	for _, g := range index {
		sizes[g]++
	}
	order := ArgsortNumpy(sizes)
	load := make([]int64, k)
	foldOf := make([]int, len(uniq))
	for i := len(order) - 1; i >= 0; i-- {
		g := order[i]
		lightest := 0
		for f, w := range load {
			if w < load[lightest] {
				lightest = f
			}
		}
		load[lightest] += sizes[g]
		foldOf[g] = lightest
	}
	labels = make([]int, len(groups))
	for i, g := range index {
		labels[i] = foldOf[g]
	}
	return labels, len(uniq), nil
}

// GroupRows lists the rows of each distinct label, labels ascending, rows
// in their order: the HeldOut.Groups of a fold whose test rows carry these
// group labels.
func GroupRows(labels []int64) [][]int {
	uniq, index := unique(labels)
	out := make([][]int, len(uniq))
	for i, g := range index {
		out[g] = append(out[g], i)
	}
	return out
}

// unique is np.unique(v, return_inverse=True): the distinct values
// ascending and the index of each element's value among them.
func unique(v []int64) (uniq []int64, index []int) {
	uniq = slices.Clone(v)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	index = make([]int, len(v))
	for i, x := range v {
		index[i], _ = slices.BinarySearch(uniq, x)
	}
	return uniq, index
}

// smallSort is the partition size at or below which numpy's quicksort
// finishes with insertion sort (its SMALL_QUICKSORT + 1).
const smallSort = 16

// ArgsortNumpy is numpy's np.argsort(v) with the default kind "quicksort"
// for int64 (npysort aquicksort_, numpy ≤ 1.24 and wherever no SIMD
// argsort is dispatched): an introsort with median-of-3 pivots, insertion
// sort for partitions of up to 16 and heapsort past a depth of
// 2·⌊log2 n⌋. It is not stable: equal values come out in the order this
// exact algorithm leaves them, which is what GroupKFold's tie order
// depends on.
func ArgsortNumpy(v []int64) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	if len(v) == 0 {
		return idx
	}
	type span struct{ lo, hi, depth int }
	stack := []span{{0, len(v) - 1, 2 * (bits.Len(uint(len(v))) - 1)}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.depth < 0 {
			heapsortIdx(v, idx[s.lo:s.hi+1])
			continue
		}
		for s.hi-s.lo >= smallSort {
			p := partitionIdx(v, idx, s.lo, s.hi)
			s.depth--
			if p-s.lo < s.hi-p { // push the larger side, go on with the smaller
				stack = append(stack, span{p + 1, s.hi, s.depth})
				s.hi = p - 1
			} else {
				stack = append(stack, span{s.lo, p - 1, s.depth})
				s.lo = p + 1
			}
		}
		insertionIdx(v, idx[s.lo:s.hi+1])
	}
	return idx
}

// partitionIdx is one numpy quicksort partition of idx[lo..hi]: the median
// of the first, middle and last goes to hi−1 as the pivot, and the
// pivot's final position is returned.
func partitionIdx(v []int64, idx []int, lo, hi int) int {
	less := func(a, b int) bool { return v[idx[a]] < v[idx[b]] }
	mid := lo + (hi-lo)>>1
	if less(mid, lo) {
		idx[mid], idx[lo] = idx[lo], idx[mid]
	}
	if less(hi, mid) {
		idx[hi], idx[mid] = idx[mid], idx[hi]
	}
	if less(mid, lo) {
		idx[mid], idx[lo] = idx[lo], idx[mid]
	}
	pivot := v[idx[mid]]
	i, j := lo, hi-1
	idx[mid], idx[j] = idx[j], idx[mid]
	for {
		for i++; v[idx[i]] < pivot; i++ {
		}
		for j--; pivot < v[idx[j]]; j-- {
		}
		if i >= j {
			break
		}
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx[i], idx[hi-1] = idx[hi-1], idx[i]
	return i
}

// insertionIdx is numpy's insertion sort of the index slice a by v.
func insertionIdx(v []int64, a []int) {
	for i := 1; i < len(a); i++ {
		vi := a[i]
		j := i
		for ; j > 0 && v[vi] < v[a[j-1]]; j-- {
			a[j] = a[j-1]
		}
		a[j] = vi
	}
}

// heapsortIdx is numpy's aheapsort_ of the index slice a by v (1-based
// heap over a).
func heapsortIdx(v []int64, a []int) {
	at := func(i int) *int { return &a[i-1] }
	sift := func(tmp, i, n int) {
		for j := 2 * i; j <= n; {
			if j < n && v[*at(j)] < v[*at(j + 1)] {
				j++
			}
			if !(v[tmp] < v[*at(j)]) {
				break
			}
			*at(i) = *at(j)
			i, j = j, 2*j
		}
		*at(i) = tmp
	}
	n := len(a)
	for l := n >> 1; l > 0; l-- {
		sift(*at(l), l, n)
	}
	for ; n > 1; n-- {
		tmp := *at(n)
		*at(n) = *at(1)
		sift(tmp, 1, n-1)
	}
}
