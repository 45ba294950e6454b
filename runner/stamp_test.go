package runner

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/cache"
)

// stamped reports whether every output of every node's record carries the
// blob's current stamp, which lets the next lookup trust it unread.
func stamped(t *testing.T, r *Runner, s *Summary) bool {
	t.Helper()
	for _, n := range s.nodes {
		e, err := r.Cache.GetAction(n.key)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range e.Outputs {
			if st, err := r.Cache.BlobStamp(o.Digest); err != nil || o.Stamp.IsZero() || o.Stamp != st {
				return false
			}
		}
	}
	return true
}

// A run stamps what it writes; a record without stamps (written before
// them, by a Slurm job, or naming a blob some other execution wrote first)
// is re-hashed once and stamped by the lookup.
func TestRunStampsOutputs(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	if !stamped(t, r, run(t, r, plan(t, cutoff), 1)) {
		t.Fatal("a cold run left the outputs it wrote unstamped")
	}
	p := plan(t, chain)
	run(t, r, p, 2)
	s := run(t, r, p, 2)
	if !stamped(t, r, s) {
		t.Fatal("a no-op rerun left outputs unstamped")
	}
	for _, n := range s.nodes {
		e, _ := r.Cache.GetAction(n.key)
		for i := range e.Outputs {
			e.Outputs[i].Stamp = cache.Stamp{}
		}
		if err := r.Cache.PutAction(n.key, e); err != nil {
			t.Fatal(err)
		}
	}
	s = run(t, r, p, 2)
	if totalExecutions() != 11 || s.Cached != 9 {
		t.Errorf("rerun of unstamped records: %d executions in all, %d cached; want 11 (cold) and 9", totalExecutions(), s.Cached)
	}
	if !stamped(t, r, s) {
		t.Error("the lookup did not stamp the records it re-hashed")
	}
}

// A rerun a day later, the common case, serves every output as trusted as
// the rerun a minute later: its use is marked on the action records, so
// no blob's stamp moves and no record is rewritten.
func TestNoopADayLaterKeepsStamps(t *testing.T) {
	r := newRunner(t)
	p := plan(t, chain)
	s := run(t, r, p, 2)
	// Written a day ago: every file's mtime, and the stamps that says.
	dayAgo := time.Now().Add(-24 * time.Hour)
	age := func(top string) {
		err := filepath.WalkDir(filepath.Join(r.Cache.Dir(), top), func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				err = os.Chtimes(path, dayAgo, dayAgo)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	age("blobs")
	before := map[cache.ActionKey]cache.Entry{}
	for _, n := range s.nodes {
		e, err := r.Cache.GetAction(n.key)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range e.Outputs {
			e.Outputs[i].Stamp, _ = r.Cache.BlobStamp(o.Digest)
		}
		if err := r.Cache.PutAction(n.key, e); err != nil {
			t.Fatal(err)
		}
		before[n.key] = e
	}
	age("actions")
	s = run(t, r, p, 2)
	if s.Cached != len(s.nodes) {
		t.Fatalf("%d of %d cached", s.Cached, len(s.nodes))
	}
	for _, n := range s.nodes {
		e, err := r.Cache.GetAction(n.key)
		if err != nil || !reflect.DeepEqual(e.Outputs, before[n.key].Outputs) {
			t.Errorf("%s: record %+v after the rerun, %v; want it unchanged, %+v", n.label(), e.Outputs, err, before[n.key].Outputs)
		}
	}
}

// The table of scalars printed after a run comes from the values read
// when each execution was recorded, cached or not.
func TestScalarsOfNoop(t *testing.T) {
	r := newRunner(t)
	p := plan(t, chain)
	first := run(t, r, p, 2).Scalars()
	again := run(t, r, p, 2).Scalars()
	if len(first) != 9 || len(again) != 9 {
		t.Fatalf("%d and %d rows of scalars, want 9 and 9", len(first), len(again))
	}
	for i := range first {
		if first[i].Values["scalar"] != again[i].Values["scalar"] || first[i].Cell != again[i].Cell {
			t.Errorf("row %d: %+v cold, %+v cached", i, first[i], again[i])
		}
	}
}
