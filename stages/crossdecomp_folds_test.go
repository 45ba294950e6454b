package stages

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestEachFold: the shared k-fold loop visits folds 0..n-1 in order with
// each fold's rows as test and the rest as train, stops at do's first
// error, refuses a fold with too few rows on a side by name, and runs
// nothing once its context is done.
func TestEachFold(t *testing.T) {
	plan := foldPlan{labels: []int{0, 1, 0, 1, 2, 2}, n: 3, how: foldsSupplied}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	stop := errors.New("stop")
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		least   int
		stopAt  int // fold whose do returns stop; -1 for none
		want    []string
		wantErr string
	}{
		{"all folds", context.Background(), 2, -1, []string{"0 [1 3 4 5] [0 2]", "1 [0 2 4 5] [1 3]", "2 [0 1 2 3] [4 5]"}, ""},
		{"do fails", context.Background(), 2, 1, []string{"0 [1 3 4 5] [0 2]", "1 [0 2 4 5] [1 3]"}, "stop"},
		{"too few rows", context.Background(), 3, -1, nil, "fold 0 has 2 test and 4 train rows; want at least 3"},
		{"cancelled", cancelled, 2, -1, nil, context.Canceled.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := plan.eachFold(tc.ctx, tc.least, func(f int, train, test []int) error {
				got = append(got, fmt.Sprint(f, " ", train, " ", test))
				if f == tc.stopAt {
					return stop
				}
				return nil
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("visited %q, want %q", got, tc.want)
			}
			if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
