package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAdoptBlob: a file written in TempDir becomes the blob by rename and
// is gone from TempDir; adopting a digest already present removes the file
// and keeps the blob; a missing file is an error that stores nothing.
func TestAdoptBlob(t *testing.T) {
	for _, tc := range []struct {
		name    string
		present bool // blob d is in the cache before the adopt
		missing bool // the file to adopt does not exist
	}{
		{name: "new"},
		{name: "already present", present: true},
		{name: "missing file", missing: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openCache(t)
			d := digestOf("payload")
			if tc.present {
				put(t, c, "payload")
			}
			src := filepath.Join(c.TempDir(), "array-1.npy")
			if !tc.missing {
				if err := os.WriteFile(src, []byte("payload"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := c.AdoptBlob(d, src)
			if tc.missing {
				if err == nil || c.HasBlob(d) {
					t.Fatalf("adopting a missing file: err %v, blob present %v; want an error and no blob", err, c.HasBlob(d))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(src); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("adopted file still at %s (stat: %v)", src, err)
			}
			if err := c.Verify(d, rawHash); err != nil {
				t.Errorf("blob after adopt: %v", err)
			}
		})
	}
}

// A scratch file a killed stage left in TempDir is removed by GC once it
// has gone unwritten for tmpGrace; a fresh one is kept.
func TestGCRemovesStaleScratch(t *testing.T) {
	c := openCache(t)
	stale := filepath.Join(c.TempDir(), "array-stale.npy")
	fresh := filepath.Join(c.TempDir(), "array-fresh.npy")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	age(t, stale, tmpGrace+time.Minute)
	st, err := c.GC(-1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); st.TmpRemoved != 1 || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale scratch file: TmpRemoved %d, stat %v; want 1 and gone", st.TmpRemoved, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh scratch file removed: %v", err)
	}
}
