package decomp_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
)

// ArgsortNumpy equals np.argsort (default kind, numpy 1.24) on tie-heavy
// int64 vectors of every length 1..300: the same order of equal values,
// through the insertion-sort and partition paths.
func TestArgsortNumpyMatchesNumpy(t *testing.T) {
	lengths := golden.Read(t, "testdata", "argsort_lengths").I64
	values := golden.Read(t, "testdata", "argsort_values").I64
	order := golden.Read(t, "testdata", "argsort_order").I64
	at := 0
	for _, n := range lengths {
		got := decomp.ArgsortNumpy(values[at : at+int(n)])
		for i, g := range got {
			if int64(g) != order[at+i] {
				t.Fatalf("length %d: argsort %v\nnumpy   %v", n, got, order[at:at+int(n)])
			}
		}
		at += int(n)
	}
}

// GroupFolds equals sklearn 1.2 GroupKFold exactly, ties included: 37
// photos of 33 or 32 patches, 60 groups of 1–6 rows with sparse negative
// and positive labels in shuffled rows, and 3 equal groups.
func TestGroupFoldsMatchesSklearn(t *testing.T) {
	for _, c := range []struct {
		name string
		ks   []int
	}{{"photos", []int{5, 8}}, {"mixed", []int{3, 5, 8}}, {"few", []int{2, 3}}} {
		groups := golden.Read(t, "testdata", "groups_"+c.name).I64
		for _, k := range c.ks {
			want := golden.Read(t, "testdata", fmt.Sprintf("groupkfold_%s_k%d", c.name, k)).I64
			got, n, err := decomp.GroupFolds(groups, k)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if int64(got[i]) != want[i] {
					t.Fatalf("%s k=%d: row %d in fold %d, GroupKFold's %d", c.name, k, i, got[i], want[i])
				}
			}
			if distinct := len(slices.Compact(slices.Sorted(slices.Values(groups)))); n != distinct {
				t.Errorf("%s: %d groups reported, %d distinct", c.name, n, distinct)
			}
		}
	}
}

// No group has rows in two folds, and fewer groups than folds is an error
// naming both numbers.
func TestGroupFoldsDisjointAndErrors(t *testing.T) {
	groups := golden.Read(t, "testdata", "groups_mixed").I64
	labels, _, err := decomp.GroupFolds(groups, 5)
	if err != nil {
		t.Fatal(err)
	}
	fold := map[int64]int{}
	for i, g := range groups {
		if f, ok := fold[g]; ok && f != labels[i] {
			t.Fatalf("group %d in folds %d and %d", g, f, labels[i])
		}
		fold[g] = labels[i]
	}
	_, _, err = decomp.GroupFolds([]int64{1, 1, 2, 2, 3}, 4)
	if want := "3 distinct groups cannot fill 4 folds (each fold needs at least one group)"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// The adversarial path: on a median-of-3 killer sequence (McIlroy's
// adversary, ties in pairs) numpy's introsort passes its depth limit and
// finishes with heapsort; the order, ties included, is still numpy's.
func TestArgsortNumpyHeapsortPath(t *testing.T) {
	v := golden.Read(t, "testdata", "argsort_killer_values").I64
	want := golden.Read(t, "testdata", "argsort_killer_order").I64
	for i, g := range decomp.ArgsortNumpy(v) {
		if int64(g) != want[i] {
			t.Fatalf("position %d: index %d, numpy %d", i, g, want[i])
		}
	}
}
