package cache

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/ndarray"
)

func TestVerify(t *testing.T) {
	cases := []struct {
		name      string
		damage    func(path string) error
		wantErr   error
		wantKept  bool
		wantWords string
	}{
		{"intact", func(string) error { return nil }, nil, true, ""},
		{"byte changed", func(p string) error { return os.WriteFile(p, []byte("hellO"), 0o644) }, ErrCorrupt, false, "hashes to"},
		{"emptied", func(p string) error { return os.Truncate(p, 0) }, ErrCorrupt, false, "cannot be decoded"},
		{"removed", os.Remove, ErrNotFound, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openCache(t)
			d := put(t, c, "hello")
			if err := tc.damage(c.BlobPath(d)); err != nil {
				t.Fatal(err)
			}
			err := c.Verify(d, rawHash)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantWords) {
				t.Errorf("err %q does not say %q", err, tc.wantWords)
			}
			if c.HasBlob(d) != tc.wantKept {
				t.Errorf("blob kept = %v, want %v", c.HasBlob(d), tc.wantKept)
			}
		})
	}
}

// A good copy renamed into place by another process while Verify read the
// corrupt one must survive the eviction.
func TestVerifySparesFreshCopy(t *testing.T) {
	c := openCache(t)
	d := put(t, c, "hello")
	if err := os.WriteFile(c.BlobPath(d), []byte("hellO"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := c.Verify(d, func(r io.Reader) (ndarray.Digest, error) {
		got, err := rawHash(r)
		if err := c.writeAtomic(c.BlobPath(d), atomicfile.DataDurable, writeString("hello")); err != nil {
			t.Fatal(err)
		}
		return got, err
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v, want ErrCorrupt for the copy that was read", err)
	}
	if err := c.Verify(d, rawHash); err != nil {
		t.Errorf("fresh copy: %v", err)
	}
}
