//go:build !amd64 || purego

package train

// addScaledVec leaves addScaled to its scalar loop: it returns the number
// of leading values it computed, none.
func addScaledVec[T Float](dst, x []T, a T, y []T) int { return 0 }

// decayVec leaves decay to its scalar loop.
func decayVec[T Float](b []T, m T, g []T, c T) int { return 0 }
