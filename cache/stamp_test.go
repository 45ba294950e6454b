package cache

import (
	"errors"
	"github.com/eigenlab/eigenlab/ndarray"
	"io"
	"os"
	"testing"
	"time"
)

// countingHash is rawHash counting its calls: a lookup that trusts its
// stamp must not read the blob at all.
func countingHash(n *int) func(io.Reader) (ndarray.Digest, error) {
	return func(r io.Reader) (ndarray.Digest, error) {
		*n++
		return rawHash(r)
	}
}

func TestVerifyStamped(t *testing.T) {
	cases := []struct {
		name       string
		stamp      func(c *Cache, d ndarray.Digest) Stamp // the recorded stamp
		damage     func(path string) error
		wantReads  int
		wantErr    error
		wantKept   bool
		wantStamp1 bool // the returned stamp equals the recorded one
	}{
		{"trusted: not read", current, nothing, 0, nil, true, true},
		{"no stamp: re-hashed", func(*Cache, ndarray.Digest) Stamp { return Stamp{} }, nothing, 1, nil, true, false},
		{"stale stamp: re-hashed", func(c *Cache, d ndarray.Digest) Stamp { s := current(c, d); s.CtimeNS--; return s }, nothing, 1, nil, true, false},
		{"bytes changed, same size: evicted", current, func(p string) error {
			time.Sleep(racyTick) // see Stamp
			return os.WriteFile(p, []byte("hellO"), 0o600)
		}, 1, ErrCorrupt, false, false},
		{"bytes appended: evicted", current, func(p string) error { return os.WriteFile(p, []byte("hello!"), 0o600) }, 1, ErrCorrupt, false, false},
		{"removed: miss", current, os.Remove, 0, ErrNotFound, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openCache(t)
			d := put(t, c, "hello")
			recorded := tc.stamp(c, d)
			if err := tc.damage(c.BlobPath(d)); err != nil {
				t.Fatal(err)
			}
			reads := 0
			got, err := c.VerifyStamped(d, recorded, countingHash(&reads))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if reads != tc.wantReads {
				t.Errorf("blob re-hashed %d times, want %d", reads, tc.wantReads)
			}
			if c.HasBlob(d) != tc.wantKept {
				t.Errorf("blob kept = %v, want %v", c.HasBlob(d), tc.wantKept)
			}
			if (got == recorded) != tc.wantStamp1 {
				t.Errorf("returned stamp %v, recorded %v: equal should be %v", got, recorded, tc.wantStamp1)
			}
			if err == nil && got != current(c, d) {
				t.Errorf("returned stamp %v is not the blob's current %v", got, current(c, d))
			}
		})
	}
}

// A re-hashed blob's new stamp is trusted by the next lookup.
func TestVerifyStampedLearns(t *testing.T) {
	c := openCache(t)
	d := put(t, c, "hello")
	reads := 0
	st, err := c.VerifyStamped(d, Stamp{}, countingHash(&reads))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyStamped(d, st, countingHash(&reads)); err != nil || reads != 1 {
		t.Errorf("second lookup: %v, %d re-hashes in all; want nil and 1", err, reads)
	}
}

// A blob unused for longer than mtimeInterval is still trusted as it was:
// its use is marked on the record that names it, never on the blob.
func TestVerifyStampedTrustsOldBlobs(t *testing.T) {
	c := openCache(t)
	d := put(t, c, "hello")
	old := time.Now().Add(-2 * mtimeInterval)
	if err := os.Chtimes(c.BlobPath(d), old, old); err != nil {
		t.Fatal(err)
	}
	recorded := current(c, d)
	reads := 0
	got, err := c.VerifyStamped(d, recorded, countingHash(&reads))
	if err != nil || reads != 0 || got != recorded || current(c, d) != recorded {
		t.Errorf("got %v, %v after %d re-hashes, blob now %v; want the recorded stamp %v, nil, 0 re-hashes, unchanged", got, err, reads, current(c, d), recorded)
	}
}

func TestStampRoundTrip(t *testing.T) {
	for _, s := range []Stamp{{}, {1, 2, 3, 4}, {0, -5, 1 << 40, 9}} {
		got, err := parseStamp(s.String())
		if err != nil || got != s {
			t.Errorf("parseStamp(%q) = %v, %v; want %v", s, got, err, s)
		}
	}
	for _, bad := range []string{"", "1:2:3", "a:b:c:d", "1:2:3:4:5", "1:2:3:4:", ":1:2:3"} {
		if _, err := parseStamp(bad); err == nil {
			t.Errorf("parseStamp(%q) accepted", bad)
		}
	}
}

// Records of earlier formats still read: v2 (before stamps) unstamped,
// v3 (before meta) stamped, both without meta.
func TestOlderActionFormatsRead(t *testing.T) {
	d := digestOf("a")
	st := Stamp{1, 2, 3, 4}
	cases := map[string]struct {
		line string
		want Output
	}{
		actionHeaderV2: {"output a " + d.String() + " 3", Output{"a", d, 3, Stamp{}, ""}},
		actionHeaderV3: {"output a " + d.String() + " 3 " + st.String(), Output{"a", d, 3, st, ""}},
	}
	for header, tc := range cases {
		c := openCache(t)
		k := keyOf(header)
		writeRaw(t, c.path(actionsDir, k.String(), ""), header+"\ntime 5\noutputs 1\n"+tc.line+"\n")
		e, err := c.GetAction(k)
		if err != nil || len(e.Outputs) != 1 || e.Outputs[0] != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", header, e, err, tc.want)
		}
	}
}

// racyTick outlasts a tick of the coarse clock the kernel stamps ctime
// with (up to 10 ms): a rewrite of the same size within the tick of the
// stamp would look unchanged.
const racyTick = 25 * time.Millisecond

func current(c *Cache, d ndarray.Digest) Stamp {
	s, _ := c.BlobStamp(d)
	return s
}

func nothing(string) error { return nil }
