package results

import (
	"context"
	"testing"
)

// FuzzResolve feeds arbitrary REF strings to Resolve and ResolveOutputs on
// a database with two recorded runs: a REF from the command line must give
// executions or an error, never a panic.
func FuzzResolve(f *testing.F) {
	fx := newFixture(f)
	fx.run("v1", "openblas", cell{alpha: "1", seed: "0"}, cell{alpha: "2", seed: "1"})
	fx.run("v1", "openblas", cell{alpha: "1", seed: "0"})
	for _, s := range []string{"exp:fit", "exp:fit.alpha@alpha=1,seed=0", "exp:spec@alpha=1.0", "x:y@@", ":::",
		"exp:.", "exp:fit@=", "exp:fit@alpha", "0123456789ab", "ffff", "exp:fit@alpha=1,alpha=2", "c1", "%", "exp:fit@seed=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		ctx := context.Background()
		if es, err := fx.db.Resolve(ctx, ref); err == nil && len(es) == 0 {
			t.Fatalf("Resolve(%q): no executions and no error", ref)
		}
		fx.db.ResolveOutputs(ctx, ref)
	})
}
