package cache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"sort"
	"sync"
)

// A pack file is its header, the number of records (8 bytes; integers
// are little-endian), an index of fixed-width entries sorted by key, and
// the records' texts in the same order. The index is read where it lies,
// by binary search, so a pack open for a sweep of any size holds only
// every sampleEvery-th key in memory (one byte per record); a lookup
// reads one block of entries.
const packHeader = "eigenlab-action-pack v2\n"

const (
	// entrySize is an index entry: the key (32 bytes), the stamp (4×8),
	// the text's offset (8) and size (4), and flags (4).
	entrySize = 80
	// sampleEvery is the stride of the keys kept in memory: a lookup reads
	// at most this many entries (2.5 KiB).
	sampleEvery = 32
	// indexStart is where the index begins.
	indexStart = int64(len(packHeader)) + 8
)

// packHead is the start of a pack file of n records: the header and n.
func packHead(n int) []byte {
	head := make([]byte, indexStart)
	copy(head, packHeader)
	binary.LittleEndian.PutUint64(head[len(packHeader):], uint64(n))
	return head
}

// inScratchFlag marks an entry whose text is in the pack's scratch file:
// a pack file's own entries never have it, a scratch run's may.
const inScratchFlag = 1

// encodeEntry writes r's entry to b[:entrySize].
func encodeEntry(b []byte, r packedRecord) {
	copy(b, r.key[:])
	le := binary.LittleEndian
	for i, v := range []int64{r.stamp.Size, r.stamp.MtimeNS, r.stamp.Ino, r.stamp.CtimeNS, r.off} {
		le.PutUint64(b[32+8*i:], uint64(v))
	}
	le.PutUint32(b[72:], uint32(r.size))
	var flags uint32
	if r.inScratch {
		flags = inScratchFlag
	}
	le.PutUint32(b[76:], flags)
}

// decodeEntry reads the entry in b[:entrySize].
func decodeEntry(b []byte) packedRecord {
	var r packedRecord
	copy(r.key[:], b)
	le := binary.LittleEndian
	v := func(i int) int64 { return int64(le.Uint64(b[32+8*i:])) }
	r.stamp = Stamp{v(0), v(1), v(2), v(3)}
	r.off, r.size = v(4), int(le.Uint32(b[72:]))
	r.inScratch = le.Uint32(b[76:])&inScratchFlag != 0
	return r
}

// packIndex is the index of a pack file, read in place.
type packIndex struct {
	r      io.ReaderAt
	n      int         // records whose entries and texts are whole
	texts  int64       // where the texts begin: the index's end
	size   int64       // of the file
	sample []ActionKey // the key of entry i·sampleEvery
}

// loadIndex reads the index of the pack file r of size bytes, keeping
// the entries up to the first that is not well formed: keys not strictly
// increasing, a flag set, or a text outside the file's text section. It
// reads the index once, in order; a file that is not a pack has none.
func loadIndex(r io.ReaderAt, size int64) packIndex {
	x := packIndex{r: r, size: size}
	head := make([]byte, indexStart)
	if _, err := r.ReadAt(head, 0); err != nil || string(head[:len(packHeader)]) != packHeader {
		return packIndex{}
	}
	claimed := binary.LittleEndian.Uint64(head[len(packHeader):])
	if claimed > uint64((size-indexStart)/entrySize) {
		return packIndex{}
	}
	x.texts = indexStart + int64(claimed)*entrySize
	br := bufio.NewReaderSize(io.NewSectionReader(r, indexStart, x.texts-indexStart), 64<<10)
	b := make([]byte, entrySize)
	var prev ActionKey
	for ; x.n < int(claimed); x.n++ {
		if _, err := io.ReadFull(br, b); err != nil {
			break
		}
		e := decodeEntry(b)
		if !x.holds(e) || x.n > 0 && bytes.Compare(prev[:], e.key[:]) >= 0 || binary.LittleEndian.Uint32(b[76:]) != 0 {
			break
		}
		if x.n%sampleEvery == 0 {
			x.sample = append(x.sample, e.key)
		}
		prev = e.key
	}
	return x
}

// holds reports whether e's text lies in the file's text section.
func (x *packIndex) holds(e packedRecord) bool {
	return e.off >= x.texts && e.off <= x.size && int64(e.size) <= x.size-e.off
}

// blocks holds the buffers lookups read a block of entries into.
var blocks = sync.Pool{New: func() any { return new([sampleEvery * entrySize]byte) }}

// find is the entry of key k and its number, or -1 if the index has none
// or it cannot be read.
func (x *packIndex) find(k ActionKey) (int, packedRecord) {
	b, ok := slices.BinarySearchFunc(x.sample, k, compareKeys)
	if !ok {
		if b == 0 {
			return -1, packedRecord{}
		}
		b--
	}
	lo := b * sampleEvery
	n := min(sampleEvery, x.n-lo)
	buf := blocks.Get().(*[sampleEvery * entrySize]byte)
	defer blocks.Put(buf)
	block := buf[:n*entrySize]
	if _, err := x.r.ReadAt(block, indexStart+int64(lo)*entrySize); err != nil {
		return -1, packedRecord{}
	}
	i := sort.Search(n, func(i int) bool { return bytes.Compare(block[i*entrySize:i*entrySize+32], k[:]) >= 0 })
	if i == n || !bytes.Equal(block[i*entrySize:i*entrySize+32], k[:]) {
		return -1, packedRecord{}
	}
	e := decodeEntry(block[i*entrySize:])
	if !x.holds(e) { // the file changed since it was indexed
		return -1, packedRecord{}
	}
	return lo + i, e
}

// compareKeys orders action keys as the index does.
func compareKeys(a, b ActionKey) int { return bytes.Compare(a[:], b[:]) }

// entries reads an index, or a sorted run of a Pack's scratch, in order.
type entries struct {
	r    *bufio.Reader
	n    int              // entries yet to read
	i    int              // number of the next entry
	keep func(i int) bool // if set, entries it rejects are skipped
	buf  [entrySize]byte
	err  error
}

// newEntries reads n entries of r from off.
func newEntries(r io.ReaderAt, off int64, n int) *entries {
	return &entries{r: bufio.NewReaderSize(io.NewSectionReader(r, off, int64(n)*entrySize), 16<<10), n: n}
}

// next is the next entry kept, false at the end or on an error (then err
// says which).
func (e *entries) next() (packedRecord, bool) {
	for ; e.n > 0 && e.err == nil; e.n, e.i = e.n-1, e.i+1 {
		if _, e.err = io.ReadFull(e.r, e.buf[:]); e.err != nil {
			break
		}
		if e.keep == nil || e.keep(e.i) {
			e.n, e.i = e.n-1, e.i+1
			return decodeEntry(e.buf[:]), true
		}
	}
	return packedRecord{}, false
}

// mergeLatest calls fn in key order with one record per key of the
// sources, each in strictly increasing key order: of the sources holding
// a key, the last one's record.
func mergeLatest(srcs []*entries, fn func(packedRecord) error) error {
	heads := make([]packedRecord, len(srcs))
	live := make([]bool, len(srcs))
	for i, s := range srcs {
		heads[i], live[i] = s.next()
	}
	for {
		best := -1
		for i := range srcs {
			if live[i] && (best < 0 || compareKeys(heads[i].key, heads[best].key) <= 0) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		r := heads[best]
		for i, s := range srcs {
			if live[i] && heads[i].key == r.key {
				heads[i], live[i] = s.next()
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	for _, s := range srcs {
		if s.err != nil {
			return s.err
		}
	}
	return nil
}
