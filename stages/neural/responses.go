// Package neural holds the numerics for recordings with repeats: responses
// shaped stimuli × repeats × units, their noise ceilings, and the spectra
// computed per unit group (area or ROI labels) from repeats.
package neural

import (
	"fmt"
	"math"
)

// Responses is a recording in C order: V[(s·Repeats + r)·Units + u] is the
// response of unit u to repeat r of stimulus s (NSD betas, Stringer's
// 2,800-image repeats, any stimuli × repeats × units array).
type Responses struct {
	Stimuli, Repeats, Units int
	V                       []float64
}

// NewResponses checks that v holds a stimuli × repeats × units array with
// at least 2 stimuli and 2 repeats and only finite values.
func NewResponses(v []float64, stimuli, repeats, units int) (Responses, error) {
	x := Responses{Stimuli: stimuli, Repeats: repeats, Units: units, V: v}
	if stimuli < 2 || repeats < 2 || units < 1 || len(v) != stimuli*repeats*units {
		return x, fmt.Errorf("responses: %d values for shape (%d stimuli, %d repeats, %d units), want stimuli ≥ 2, repeats ≥ 2, units ≥ 1 and their product",
			len(v), stimuli, repeats, units)
	}
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s, r, u := i/(repeats*units), i/units%repeats, i%units
			return x, fmt.Errorf("responses: non-finite value %g at stimulus %d, repeat %d, unit %d", f, s, r, u)
		}
	}
	return x, nil
}

// At is the response of unit u to repeat r of stimulus s.
func (x Responses) At(s, r, u int) float64 { return x.V[(s*x.Repeats+r)*x.Units+u] }

// MeanOver returns the stimuli × units mean over the given repeats, in C order.
func (x Responses) MeanOver(repeats []int) []float64 {
	out := make([]float64, x.Stimuli*x.Units)
	for s := 0; s < x.Stimuli; s++ {
		row := out[s*x.Units : (s+1)*x.Units]
		for _, r := range repeats {
			for u, v := range x.V[(s*x.Repeats+r)*x.Units : (s*x.Repeats+r+1)*x.Units] {
				row[u] += v
			}
		}
		for u := range row {
			row[u] /= float64(len(repeats))
		}
	}
	return out
}
