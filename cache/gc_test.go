package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
)

func TestGCEvictsLeastRecentlyUsedUnpinned(t *testing.T) {
	// Four 10-byte blobs, a used longest ago, d most recently.
	names := []string{"a", "b", "c", "d"}
	cases := []struct {
		name    string
		maxSize int64
		pinned  []string
		kept    []string
	}{
		{"under the limit", 40, nil, []string{"a", "b", "c", "d"}},
		{"oldest first", 25, nil, []string{"c", "d"}},
		{"exactly at the limit", 30, nil, []string{"b", "c", "d"}},
		{"zero", 0, nil, nil},
		{"negative evicts all unpinned", -1, nil, nil},
		{"pinned skipped", 25, []string{"a"}, []string{"a", "d"}},
		{"negative keeps pinned", -1, []string{"b", "d"}, []string{"b", "d"}},
		{"all pinned over the limit", 0, names, names},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openCache(t)
			digests := map[string]ndarray.Digest{}
			for i, n := range names {
				digests[n] = put(t, c, n+"-23456789")
				age(t, c.BlobPath(digests[n]), time.Duration(10-i)*time.Hour)
			}
			st, err := c.GC(tc.maxSize, func(d ndarray.Digest) bool {
				return slices.ContainsFunc(tc.pinned, func(n string) bool { return digests[n] == d })
			})
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, n := range names {
				if _, ok := c.statBlob(digests[n]); ok {
					kept = append(kept, n)
				}
			}
			if !slices.Equal(kept, tc.kept) {
				t.Errorf("kept %v, want %v", kept, tc.kept)
			}
			want := GCStats{BlobsBefore: 4, BytesBefore: 40, BlobsAfter: len(tc.kept), BytesAfter: int64(10 * len(tc.kept))}
			if st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
		})
	}
}

// A blob written long ago but served recently (its record's mtime, see
// Pack.Lookup) is used recently: GC evicts by the later of the two.
func TestGCCountsServedRecordsAsUse(t *testing.T) {
	c := openCache(t)
	old, served, fresh := put(t, c, "old-456789"), put(t, c, "served-789"), put(t, c, "fresh-6789")
	age(t, c.BlobPath(old), 5*time.Hour)
	age(t, c.BlobPath(served), 10*time.Hour)
	age(t, c.BlobPath(fresh), 3*time.Hour)
	k := ActionKey{7}
	if err := c.PutAction(k, Entry{Outputs: []Output{{Name: "x", Digest: served, Size: 10}}}); err != nil {
		t.Fatal(err)
	}
	age(t, c.path(actionsDir, k.String(), ""), 2*time.Hour) // served 2 hours ago
	if _, err := c.GC(20, nil); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[ndarray.Digest]bool{old: false, served: true, fresh: true} {
		if _, ok := c.statBlob(d); ok != want {
			t.Errorf("blob %s kept = %v, want %v", d.Short(), ok, want)
		}
	}
}

func TestGCRemovesOnlyStaleTempFiles(t *testing.T) {
	c := openCache(t)
	tmp := filepath.Join(c.Dir(), "tmp")
	for name, ago := range map[string]time.Duration{"w-killed": 2 * time.Hour, "w-writing": time.Minute} {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		age(t, p, ago)
	}
	st, err := c.GC(-1, nil)
	if err != nil || st.TmpRemoved != 1 {
		t.Fatalf("stats %+v, %v; want 1 temp file removed", st, err)
	}
	left, err := os.ReadDir(tmp)
	if err != nil || len(left) != 1 || left[0].Name() != "w-writing" {
		t.Errorf("left in tmp: %v, %v; want the file still being written", left, err)
	}
}

func TestGCRemovesStaleActions(t *testing.T) {
	c := openCache(t)
	kept, gone := put(t, c, "kept"), put(t, c, "gone")
	records := map[string][]Output{
		"intact":   {{"o", kept, 4, Stamp{}, ""}},
		"dangling": {{"o", kept, 4, Stamp{}, ""}, {"p", gone, 4, Stamp{}, ""}},
	}
	for name, outs := range records {
		if err := c.PutAction(keyOf(name), Entry{Outputs: outs}); err != nil {
			t.Fatal(err)
		}
	}
	writeRaw(t, c.path(actionsDir, keyOf("malformed").String(), ""), "junk\n")
	st, err := c.GC(-1, func(d ndarray.Digest) bool { return d == kept })
	if err != nil || st.ActionsRemoved != 2 {
		t.Fatalf("stats %+v, %v; want 2 action records removed", st, err)
	}
	if _, err := c.GetAction(keyOf("intact")); err != nil {
		t.Errorf("intact record: %v", err)
	}
	if n := countFiles(t, filepath.Join(c.Dir(), "actions")); n != 1 {
		t.Errorf("%d action records left, want 1", n)
	}
}

// A record whose blob was released on purpose (a temp stage's output) is
// not dangling: GC keeps it and the blob's mark; the mark goes once no
// record names the blob, or once the blob is back.
func TestGCKeepsRecordsOfReleasedBlobs(t *testing.T) {
	c := openCache(t)
	temp, back, evicted := put(t, c, "temp"), put(t, c, "back"), put(t, c, "evicted")
	for name, d := range map[string]ndarray.Digest{"temp": temp, "back": back, "evicted": evicted} {
		if err := c.PutAction(keyOf(name), Entry{Outputs: []Output{{"o", d, 4, Stamp{}, ""}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []ndarray.Digest{temp, back} {
		if err := c.ReleaseBlob(d); err != nil {
			t.Fatal(err)
		}
	}
	if c.HasBlob(temp) || !c.released(temp) {
		t.Fatalf("after ReleaseBlob: blob present %v, marked %v; want gone and marked", c.HasBlob(temp), c.released(temp))
	}
	if err := c.EvictBlob(evicted); err != nil {
		t.Fatal(err)
	}
	put(t, c, "back") // recomputed
	st, err := c.GC(1<<30, nil)
	if err != nil || st.ActionsRemoved != 1 {
		t.Fatalf("stats %+v, %v; want only the evicted blob's record removed", st, err)
	}
	for _, name := range []string{"temp", "back"} {
		if _, err := c.GetAction(keyOf(name)); err != nil {
			t.Errorf("record %q: %v; want kept", name, err)
		}
	}
	if !c.released(temp) || c.released(back) {
		t.Errorf("marks: temp %v, back %v; want temp's kept, back's removed (its blob is present)", c.released(temp), c.released(back))
	}
	if err := c.DeleteAction(keyOf("temp")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GC(1<<30, nil); err != nil || c.released(temp) {
		t.Errorf("mark of a blob no record names: kept %v (%v); want removed", c.released(temp), err)
	}
}

// Per-key lock files (those of earlier versions, and of Lock where it has
// no byte-range locks) are removed once idle; a held one stays held.
func TestGCRemovesIdleLocks(t *testing.T) {
	c := openCache(t)
	paths := map[string]string{}
	for _, name := range []string{"held", "idle"} {
		paths[name] = c.path(locksDir, keyOf(name).String(), ".lock")
		if err := os.MkdirAll(filepath.Dir(paths[name]), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths[name], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(paths["held"], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := flockTry(f); !ok || err != nil {
		t.Fatalf("flock: %v, %v", ok, err)
	}
	st, err := c.GC(-1, nil)
	if err != nil || st.LocksRemoved != 1 {
		t.Fatalf("stats %+v, %v; want 1 lock file removed", st, err)
	}
	if _, err := os.Stat(paths["held"]); err != nil {
		t.Errorf("held lock file: %v", err)
	}
	if _, err := os.Stat(paths["idle"]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("idle lock file: %v, want removed", err)
	}
}
