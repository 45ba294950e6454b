package results

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// twoRuns records run 1 with cells (alpha=1,seed=0) and (alpha=2,seed=0),
// then run 2 with (alpha=1,seed=0), served from the cache, and
// (alpha=1,seed=1).
func twoRuns(t *testing.T) *fixture {
	f := newFixture(t)
	f.run("rev1", "openblas", cell{alpha: "1", seed: "0"}, cell{alpha: "2", seed: "0"})
	f.run("rev1", "openblas", cell{alpha: "1", seed: "0"}, cell{alpha: "1", seed: "1"})
	return f
}

func TestResolve(t *testing.T) {
	f := twoRuns(t)
	fit2 := dg("alpha", "2", "0", "1", "1").String()
	tests := []struct {
		ref  string
		want []string // run:stage@cell:status of each execution
	}{
		{"exp:fit.alpha@alpha=1,seed=1", []string{"2:fit@alpha=1,seed=1:ok"}},
		{"exp:fit@alpha=1.0,seed=0", []string{"2:fit@alpha=1,seed=0:cached"}},
		{"exp:fit", []string{"2:fit@alpha=1,seed=0:cached", "2:fit@alpha=1,seed=1:ok"}},
		{"exp:fit@seed=1", []string{"2:fit@alpha=1,seed=1:ok"}},
		{"exp:data@seed=1", []string{"2:data@alpha=1:cached"}},                           // data does not depend on seed
		{"exp:fit.alpha@alpha=2,seed=0", []string{"1:fit@alpha=2,seed=0:ok"}},            // a cited id outlives the run
		{fit2[:8], []string{"1:fit@alpha=2,seed=0:ok"}},                                  // digest prefix
		{strings.ToUpper(fit2[:10]), []string{"1:fit@alpha=2,seed=0:ok"}},                // in capitals
		{dg("x", "1").String(), []string{"2:data@alpha=1:cached"}},                       // a whole digest, latest producer
		{dg("lambda", "1", "1", "1").String()[:6], []string{"2:spec@alpha=1,seed=1:ok"}}, // the shortest prefix
	}
	for _, tc := range tests {
		execs, err := f.db.Resolve(context.Background(), tc.ref)
		if err != nil {
			t.Errorf("%s: %v", tc.ref, err)
			continue
		}
		var got []string
		for _, e := range execs {
			got = append(got, fmt.Sprintf("%d:%s:%s", e.RunID, e.Label()[len("exp:"):], e.Status))
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: resolved to %v, want %v", tc.ref, got, tc.want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	f := twoRuns(t)
	a, b := collidingDigests(6)
	f.exec(1, "extra", "", "load", "1", nil, nil, Edge{Name: "a", Digest: a}, nil)
	f.exec(1, "extra2", "", "load", "1", nil, nil, Edge{Name: "b", Digest: b}, nil)
	first, second := min(a.String(), b.String()), max(a.String(), b.String())
	tests := []struct{ ref, want string }{
		{a.String()[:6], "digest prefix " + a.String()[:6] + " is ambiguous: " + first[:10] + "…, " + second[:10] + "…; give more digits"},
		{"abc12", "malformed REF: digest prefix abc12: want 6 to 64 hex digits"},
		{"ffffffff", "no artifact with digest ffffffff… in the provenance database"},
		{"nonsense", `malformed REF "nonsense": want a digest prefix (6+ hex digits), a cited id or EXP:STAGE[.OUTPUT][@axis=value,...]`},
		{"exp:fit@", `malformed REF "exp:fit@": want EXP:STAGE[.OUTPUT][@axis=value,...]`},
		{"exp:fit@alpha", `malformed REF "exp:fit@alpha": cell "alpha": want axis=value[,axis=value...]`},
		{"nope:fit", `nope:fit: no runs of experiment "nope"; the database has exp`},
		{"exp:fti", `exp:fti: no run of "exp" has an ok or cached execution of stage "fti"; its latest run (2, ok) has data, fit, spec`},
		{"exp:fit@alhpa=1", `exp:fit@alhpa=1: run 2 has no axis "alhpa"; its axes are alpha, seed`},
		{"exp:fit@alpha=2", `exp:fit@alpha=2: no cell of stage "fit" in run 2 matches; its cells are alpha=1,seed=0; alpha=1,seed=1`},
	}
	for _, tc := range tests {
		if _, err := f.db.Resolve(context.Background(), tc.ref); err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.ref, err, tc.want)
		}
	}
}

// collidingDigests finds two made-up digests whose hex forms share their
// first n digits.
func collidingDigests(n int) (a, b ndarray.Digest) {
	seen := map[string]int{}
	for i := 0; ; i++ {
		d := dg("collide", fmt.Sprint(i))
		p := d.String()[:n]
		if j, ok := seen[p]; ok {
			return dg("collide", fmt.Sprint(j)), d
		}
		seen[p] = i
	}
}

func TestResolveOutputs(t *testing.T) {
	f := twoRuns(t)
	ctx := context.Background()
	lam := dg("lambda", "1", "1", "1")
	tests := []struct {
		ref     string
		want    []string // output names
		wantErr string
	}{
		{"exp:fit.alpha@alpha=1,seed=1", []string{"alpha"}, ""},
		{"exp:spec@alpha=1,seed=1", []string{"lambda"}, ""},
		{lam.String()[:8], []string{"lambda"}, ""},
		{"exp:fit.beta@alpha=1,seed=1", nil, `exp:fit.beta@alpha=1,seed=1: stage "fit" has no output "beta"; it has alpha`},
		{"exp:fit", nil, "exp:fit matches 2 cells (alpha=1,seed=0; alpha=1,seed=1); add @axis=value to pick one"},
	}
	for _, tc := range tests {
		edges, err := f.db.ResolveOutputs(ctx, tc.ref)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%s: err = %v, want %s", tc.ref, err, tc.wantErr)
			}
			continue
		}
		var names []string
		for _, g := range edges {
			names = append(names, g.Name)
		}
		if err != nil || strings.Join(names, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: outputs %v (%v), want %v", tc.ref, names, err, tc.want)
		}
	}
}
