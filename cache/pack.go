package cache

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
)

// A Pack serves the action records of one sweep from a single file
// instead of a file read per record: a rerun of 10,000 stages otherwise
// reads 10,000 scattered 4 KiB blocks, which is most of its time when the
// page cache no longer holds them (a rerun the next day, or after a long
// job).
//
// The pack is only a copy. Each of its records keeps the stat of the
// record file it was read from (a Stamp), and is served only while the
// file's stat still equals it: records are replaced by rename, which
// always moves the inode, so an equal stamp means the same file, and the
// pack holds what the file says. Any other lookup reads the file.
//
// A lookup through a pack is how a run serves a cached result, so it
// marks the record used, at most once per mtimeInterval: that tells GC the
// blobs it names are still wanted (evictLRU). Other readers of records
// (GetAction: verify, GC itself) leave use times alone.
//
// Save writes the records looked up or put through the pack since it was
// opened, so the next run of the same sweep reads them from one file.
//
// Memory is about a byte per record of the pack file, whatever the
// records' size (1 MB for a sweep of a million stages), plus at most
// chunkRecords places: the pack file's index is read where it lies, with
// one key in sampleEvery kept, and a bit per record notes those served as
// the file holds them. Records new to the pack, or changed, are written
// to an unnamed scratch file as they come, and their places too, sorted,
// once there are chunkRecords of them: Save merges the file with those
// runs. It is safe for concurrent use.
type Pack struct {
	c    *Cache
	path string
	file *os.File // the pack file, nil if none
	idx  packIndex

	mu      sync.Mutex
	served  []uint64       // bit i: the file's record i was served as it holds it
	fresh   []packedRecord // records new to the pack or changed, not yet in a run: a key's latest last
	runs    []run          // earlier fresh records, sorted, in scratch: oldest first
	scratch *os.File       // texts of records new to the pack, and runs
	end     int64          // of scratch
	broken  bool           // scratch could not be made or written
}

// packedRecord is where a record's text is, with the stamp of its file.
type packedRecord struct {
	key       ActionKey
	stamp     Stamp // the record file's stat when it was read or written
	inScratch bool  // the text is in scratch, not in the pack file
	off       int64
	size      int
}

// A run is n entries in scratch from off, sorted by key, one per key.
type run struct {
	off int64
	n   int
}

// chunkRecords is how many fresh records a Pack keeps in memory before it
// writes them to scratch as a run (~90 bytes each).
var chunkRecords = 16_384 // a variable so tests can lower it

// OpenPack opens the pack named name (any string: a sweep's name), empty
// if there is none or it cannot be read: a pack is a hint, never needed.
// Only its index is read now, once, in order.
func (c *Cache) OpenPack(name string) *Pack {
	sum := sha256.Sum256([]byte(name))
	p := &Pack{c: c, path: filepath.Join(c.dir, packsDir, hex.EncodeToString(sum[:16]))}
	f, err := os.Open(p.path)
	if err != nil {
		return p
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return p
	}
	p.file, p.idx = f, loadIndex(f, info.Size())
	runtime.AddCleanup(p, func(f *os.File) { f.Close() }, f)
	return p
}

// text reads r's text from the pack file or scratch.
func (p *Pack) text(r packedRecord) (string, error) {
	f := p.file
	if r.inScratch {
		f = p.scratch
	}
	b := make([]byte, r.size)
	if _, err := f.ReadAt(b, r.off); err != nil {
		return "", err
	}
	return string(b), nil
}

// Lookup returns the record of action k as GetAction does, from the pack
// while its copy is current, and marks the record used.
func (p *Pack) Lookup(k ActionKey) (Entry, error) {
	path := p.c.path(actionsDir, k.String(), "")
	if e, ok := p.packed(k, path); ok {
		return e, nil
	}
	e, info, err := p.c.getAction(k)
	if err != nil {
		return Entry{}, err
	}
	if text, err := formatAction(e); err == nil {
		p.use(path, -1, packedRecord{key: k, stamp: stampOf(info)}, text, info.ModTime())
	}
	return e, nil
}

// packed is k's record from the pack file, if it has one and the record
// file at path still has the stat stamped on it.
func (p *Pack) packed(k ActionKey, path string) (Entry, bool) {
	i, r := p.idx.find(k)
	if i < 0 || r.stamp.IsZero() {
		return Entry{}, false
	}
	st, err := statStamp(path)
	if err != nil || st != r.stamp {
		return Entry{}, false
	}
	text, err := p.text(r)
	if err != nil {
		return Entry{}, false
	}
	e, err := parseAction(text)
	if err != nil {
		return Entry{}, false
	}
	p.use(path, i, r, "", time.Unix(0, st.MtimeNS))
	for i, o := range e.Outputs { // not the text's bytes: a node keeps its outputs' names for the run
		e.Outputs[i].Name, e.Outputs[i].Meta = strings.Clone(o.Name), strings.Clone(o.Meta)
	}
	return e, true
}

// use notes record r as served and marks it used (touch); a moved mtime
// is then part of the record's stamp. r is the file's record i, or (i <
// 0) a record new to the pack whose text is text.
func (p *Pack) use(path string, i int, r packedRecord, text string, mtime time.Time) {
	changed := i < 0
	if touch(path, mtime) {
		st, err := statStamp(path)
		if err != nil {
			return
		}
		r.stamp, changed = st, true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !changed {
		if p.served == nil {
			p.served = make([]uint64, (p.idx.n+63)/64)
		}
		p.served[i/64] |= 1 << (i % 64)
		return
	}
	if text != "" && !p.keep(&r, text) {
		return
	}
	p.add(r)
}

// add lists r as fresh, writing the fresh records to scratch as a run
// once there are chunkRecords of them.
func (p *Pack) add(r packedRecord) {
	p.fresh = append(p.fresh, r)
	if len(p.fresh) >= chunkRecords {
		p.spill()
	}
}

// spill writes the fresh records to scratch as a run. If it cannot, they
// are left out of the pack: the records are there, in their files.
func (p *Pack) spill() {
	recs := latest(p.fresh)
	p.fresh = p.fresh[:0]
	if len(recs) == 0 || !p.openScratch() {
		return
	}
	w := bufio.NewWriter(io.NewOffsetWriter(p.scratch, p.end))
	var b [entrySize]byte
	for _, r := range recs {
		encodeEntry(b[:], r)
		w.Write(b[:])
	}
	if w.Flush() != nil {
		p.broken = true
		return
	}
	p.runs = append(p.runs, run{p.end, len(recs)})
	p.end += int64(len(recs)) * entrySize
}

// openScratch makes scratch if there is none, reporting whether there is.
func (p *Pack) openScratch() bool {
	if p.scratch == nil && !p.broken {
		f, err := unnamedFile(p.c.TempDir())
		if err != nil {
			p.broken = true
			return false
		}
		p.scratch = f
		runtime.AddCleanup(p, func(f *os.File) { f.Close() }, f)
	}
	return !p.broken
}

// keep writes text to scratch and places r there. If it cannot, r is
// left out of the pack: the record is there, in its file.
func (p *Pack) keep(r *packedRecord, text string) bool {
	if !p.openScratch() {
		return false
	}
	if _, err := p.scratch.WriteAt([]byte(text), p.end); err != nil {
		p.broken = true
		return false
	}
	r.inScratch, r.off, r.size = true, p.end, len(text)
	p.end += int64(len(text))
	return true
}

// unnamedFile creates a file in dir that has no name: it goes when it is
// closed, whatever happens to the process.
func unnamedFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "pack-*")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Put is PutAction through the pack. The stamp it keeps is the record's
// stat just after the write; should another process replace the record
// in between, the pack pairs that file's stamp with this entry, which is
// as true a record of the same action.
func (p *Pack) Put(k ActionKey, e Entry) error {
	if err := p.c.PutAction(k, e); err != nil {
		return err
	}
	st, err := statStamp(p.c.path(actionsDir, k.String(), ""))
	if err != nil {
		return nil // the record is written; the pack just will not hold it
	}
	text, err := formatAction(e)
	if err != nil {
		return nil // PutAction formatted it: cannot happen
	}
	r := packedRecord{key: k, stamp: st}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keep(&r, text) {
		p.add(r)
	}
	return nil
}

// Save writes the pack with every record looked up or put through it,
// unless they are all as the file already holds them. It is not fsynced:
// a pack lost in a crash costs one slower rerun. It ends the pack's use:
// a lookup after it reads the record file.
func (p *Pack) Save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.close()
	p.spill()
	if len(p.runs) == 0 && p.servedCount() == p.idx.n {
		return nil // the file holds every record served, as it is
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	err := atomicfile.WriteBatched(p.c.TempDir(), p.path, fileMode, atomicfile.Volatile, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := p.writeSaved(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	return nil
}

// writeSaved writes the pack file Save saves: the file's records served
// as it holds them, merged with the runs, whose record of a key replaces
// the file's. It reads them three times: to count them, to write the
// index, and to write the texts.
func (p *Pack) writeSaved(w io.Writer) error {
	n := 0
	if err := mergeLatest(p.saved(), func(packedRecord) error { n++; return nil }); err != nil {
		return err
	}
	if _, err := w.Write(packHead(n)); err != nil {
		return err
	}
	off := indexStart + int64(n)*entrySize
	var b [entrySize]byte
	err := mergeLatest(p.saved(), func(r packedRecord) error {
		r.off, r.inScratch = off, false
		off += int64(r.size)
		encodeEntry(b[:], r)
		_, err := w.Write(b[:])
		return err
	})
	if err != nil {
		return err
	}
	return mergeLatest(p.saved(), func(r packedRecord) error {
		text, err := p.text(r)
		if err == nil {
			_, err = io.WriteString(w, text)
		}
		return err
	})
}

// saved are the sources Save merges, the runs after the file's records.
func (p *Pack) saved() []*entries {
	srcs := []*entries{newEntries(p.file, indexStart, p.idx.n)}
	srcs[0].keep = p.isServed
	for _, r := range p.runs {
		srcs = append(srcs, newEntries(p.scratch, r.off, r.n))
	}
	return srcs
}

func (p *Pack) isServed(i int) bool { return p.served != nil && p.served[i/64]&(1<<(i%64)) != 0 }

// servedCount is the number of the file's records served as it holds them.
func (p *Pack) servedCount() int {
	n := 0
	for _, w := range p.served {
		n += bits.OnesCount64(w)
	}
	return n
}

// latest sorts recs by key and keeps each key's last.
func latest(recs []packedRecord) []packedRecord {
	slices.SortStableFunc(recs, func(a, b packedRecord) int { return compareKeys(a.key, b.key) })
	out := recs[:0]
	for i, r := range recs {
		if i+1 < len(recs) && recs[i+1].key == r.key {
			continue
		}
		out = append(out, r)
	}
	return out
}

// close lets go of the pack's files and records.
func (p *Pack) close() {
	for _, f := range []*os.File{p.file, p.scratch} {
		if f != nil {
			f.Close()
		}
	}
	p.file, p.scratch, p.idx, p.served, p.fresh, p.runs = nil, nil, packIndex{}, nil, nil, nil
	p.broken = true
}
