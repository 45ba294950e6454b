package cache

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Stamp is what stat(2) said of a blob when its content was last known to
// match its digest: written by this cache or re-hashed by a lookup. Like
// an entry of git's index, it lets a lookup trust a blob without reading
// it while the stamp still holds: any write to the file, chmod, rename
// over it or replacement moves its ctime or inode, which user space cannot
// set back. What a stamp cannot see is a change below the file system
// (bit rot, a raw write to the disk), or a rewrite of the same size within
// the tick of the kernel's coarse clock (≤ 10 ms) in which the stamp was
// taken, right after this cache wrote or read the blob (git's "racy"
// entries); `eigenlab verify --all` re-hashes every blob whatever its
// stamp. The zero Stamp is no stamp: never trusted.
type Stamp struct {
	Size                  int64
	MtimeNS, Ino, CtimeNS int64
}

// IsZero reports whether s is no stamp.
func (s Stamp) IsZero() bool { return s == Stamp{} }

// String is the stamp's form in an action record: "-" for no stamp.
func (s Stamp) String() string {
	if s.IsZero() {
		return "-"
	}
	return fmt.Sprintf("%d:%d:%d:%d", s.Size, s.MtimeNS, s.Ino, s.CtimeNS)
}

// parseStamp reads String's form.
func parseStamp(text string) (Stamp, error) {
	if text == "-" {
		return Stamp{}, nil
	}
	var v [4]int64
	rest := text
	for i := range v {
		field, tail, more := strings.Cut(rest, ":")
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil || more == (i == len(v)-1) { // a field short or one over
			return Stamp{}, fmt.Errorf("stamp %q: want size:mtime:inode:ctime or -", text)
		}
		v[i], rest = n, tail
	}
	return Stamp{v[0], v[1], v[2], v[3]}, nil
}

// BlobStamp returns the current stamp of blob d, to be recorded by the
// caller that just wrote it (or checked it); a missing blob is an error
// wrapping ErrNotFound.
func (c *Cache) BlobStamp(d ndarray.Digest) (Stamp, error) {
	info, err := os.Stat(c.BlobPath(d))
	if err != nil {
		return Stamp{}, c.blobMiss(d, err)
	}
	return stampOf(info), nil
}

// VerifyStamped checks blob d as a lookup must: a blob whose stat still
// equals st, the stamp recorded when it was written or last checked, is
// trusted without being read; any other is re-hashed as by Verify (and
// evicted if corrupt). It returns the blob's stamp as of now, for the
// caller to record when it differs from st (a re-hashed blob). It never
// writes the blob's inode: a use is marked on the action record instead
// (Pack.Lookup), so a stamp moves only when the file does.
func (c *Cache) VerifyStamped(d ndarray.Digest, st Stamp, rehash func(io.Reader) (ndarray.Digest, error)) (Stamp, error) {
	now, err := statStamp(c.BlobPath(d))
	if err != nil {
		return Stamp{}, c.blobMiss(d, err)
	}
	if !st.IsZero() && now == st {
		return st, nil
	}
	return c.verify(d, rehash)
}
