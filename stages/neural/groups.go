package neural

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/eigenlab/eigenlab/stages/spectral"
)

// Groups splits units by label (an area or ROI per unit): the sorted
// distinct labels and, for each, its units in their original order.
func Groups(labels []int64, units int) (names []int64, members [][]int, err error) {
	if len(labels) != units {
		return nil, nil, fmt.Errorf("unit groups: %d labels for %d units, want one label per unit", len(labels), units)
	}
	names = slices.Clone(labels)
	slices.Sort(names)
	names = slices.Compact(names)
	members = make([][]int, len(names))
	for u, l := range labels {
		g, _ := slices.BinarySearch(names, l)
		members[g] = append(members[g], u)
	}
	return names, members, nil
}

// Repeat returns repeat r of the given units as a stimuli × len(units)
// tensor, for the spectral routines.
func (x Responses) Repeat(r int, units []int) spectral.Tensor {
	out := make([]float64, x.Stimuli*len(units))
	for s := 0; s < x.Stimuli; s++ {
		for j, u := range units {
			out[s*len(units)+j] = x.At(s, r, u)
		}
	}
	return spectral.Tensor{Shape: []int{x.Stimuli, len(units)}, F64: out}
}

// CvPCAByGroup is cvPCA (METHODS.md §1.4, spectral.CvPCA) of repeats r1 and
// r2 within each unit group, with nshuff repeat-swap shuffles. Group g uses
// the PCG stream (seed, g), so a group's spectrum does not depend on the
// other groups.
func CvPCAByGroup(x Responses, members [][]int, r1, r2, nshuff int, seed uint64) ([][]float64, error) {
	if r1 == r2 || r1 < 0 || r2 < 0 || r1 >= x.Repeats || r2 >= x.Repeats {
		return nil, fmt.Errorf("cvPCA by group: repeats %d and %d, want two different repeats in 0..%d", r1, r2, x.Repeats-1)
	}
	out := make([][]float64, len(members))
	for g, units := range members {
		cv, _, err := spectral.CvPCA(rand.New(rand.NewPCG(seed, uint64(g))), x.Repeat(r1, units), x.Repeat(r2, units), nshuff, nil)
		if err != nil {
			return nil, fmt.Errorf("cvPCA of unit group %d (%d units): %w", g, len(units), err)
		}
		out[g] = cv
	}
	return out, nil
}
