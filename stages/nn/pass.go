package nn

// goFusesMulAdd reports whether the compiler turns passGo's float32 v*a + b
// into one fused multiply-add (as Go's spec allows; on amd64 it does with
// GOAMD64=v3 and up, and never with the default v1), found by computing
// (1+2⁻¹²)² − (1+2⁻¹¹), which is 0 when the product is rounded first and
// 2⁻²⁴ when it is not.
var goFusesMulAdd = mulAdd(1+0x1p-12, 1+0x1p-12, -(1+0x1p-11)) != 0

//go:noinline
func mulAdd(v, a, b float32) float32 { return v*a + b }
