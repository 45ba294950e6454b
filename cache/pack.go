package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
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
// Memory is ~90 bytes per record of the pack file, whatever the records'
// size, one bit more for each it serves as it is, and ~90 bytes more for
// each record new to it or changed: the pack keeps where each record's
// text is, in its file or, for a record new to it, in an unnamed scratch
// file, and reads the text when it is needed. It is safe for concurrent
// use.
type Pack struct {
	c    *Cache
	path string
	old  []packedRecord // in the pack file, sorted by key
	file *os.File       // the pack file, nil if none

	mu      sync.Mutex
	served  []uint64       // bit i: old[i] was served as the file holds it
	used    []packedRecord // other records looked up or put through this pack, a key's latest last
	scratch *os.File       // the texts of records new to the pack
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

// packHeader starts a pack file; a pack of another version is ignored.
const packHeader = "eigenlab-action-pack v1\n"

// OpenPack opens the pack named name (any string: a sweep's name), empty
// if there is none or it cannot be read: a pack is a hint, never needed.
// Only the records' keys, stamps and places are read now.
func (c *Cache) OpenPack(name string) *Pack {
	sum := sha256.Sum256([]byte(name))
	p := &Pack{c: c, path: filepath.Join(c.dir, packsDir, hex.EncodeToString(sum[:16]))}
	f, err := os.Open(p.path)
	if err != nil {
		return p
	}
	p.old = indexPack(bufio.NewReaderSize(f, 64<<10))
	slices.SortFunc(p.old, func(a, b packedRecord) int { return bytes.Compare(a.key[:], b.key[:]) })
	p.file = f
	runtime.AddCleanup(p, func(f *os.File) { f.Close() }, f)
	return p
}

// indexPack reads a pack file: after the header, per record a line
// "<key hex> <stamp> <length>" and the record's text of that length. It
// stops at the first thing it cannot read, keeping what came before.
func indexPack(r *bufio.Reader) []packedRecord {
	header := make([]byte, len(packHeader))
	if _, err := io.ReadFull(r, header); err != nil || string(header) != packHeader {
		return nil
	}
	var recs []packedRecord
	off := int64(len(packHeader))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		keyText, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		stampText, sizeText, _ := strings.Cut(rest, " ")
		k, err := ParseActionKey(keyText)
		st, err2 := parseStamp(stampText)
		size, err3 := strconv.Atoi(sizeText)
		if err != nil || err2 != nil || err3 != nil || size < 0 {
			break
		}
		off += int64(len(line))
		if n, err := r.Discard(size); err != nil || n != size {
			break
		}
		recs = append(recs, packedRecord{key: k, stamp: st, off: off, size: size})
		off += int64(size)
	}
	return recs
}

// find is the index in old of the pack file's record of k, or -1.
func (p *Pack) find(k ActionKey) int {
	i, ok := slices.BinarySearchFunc(p.old, k, func(r packedRecord, k ActionKey) int { return bytes.Compare(r.key[:], k[:]) })
	if !ok {
		return -1
	}
	return i
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
	i := p.find(k)
	if i < 0 || p.old[i].stamp.IsZero() {
		return Entry{}, false
	}
	r := p.old[i]
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
// is then part of the record's stamp. r is old[i], or (i < 0) a record
// new to the pack whose text is text.
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
			p.served = make([]uint64, (len(p.old)+63)/64)
		}
		p.served[i/64] |= 1 << (i % 64)
		return
	}
	if text != "" && !p.keep(&r, text) {
		return
	}
	p.used = append(p.used, r)
}

// keep writes text to scratch and places r there. If it cannot, r is
// left out of the pack: the record is there, in its file.
func (p *Pack) keep(r *packedRecord, text string) bool {
	if p.scratch == nil && !p.broken {
		f, err := unnamedFile(p.c.TempDir())
		if err != nil {
			p.broken = true
			return false
		}
		p.scratch = f
		runtime.AddCleanup(p, func(f *os.File) { f.Close() }, f)
	}
	if p.broken {
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
		p.used = append(p.used, r)
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
	used := latest(p.used)
	if len(used) == 0 && p.servedCount() == len(p.old) {
		return nil // the file holds every record served, as it is
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	err := atomicfile.WriteBatched(p.c.TempDir(), p.path, fileMode, atomicfile.Volatile, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(packHeader)
		err := p.eachSaved(used, func(r packedRecord) error {
			text, err := p.text(r)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(bw, "%s %s %d\n%s", r.key, r.stamp, len(text), text)
			return err
		})
		if err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	return nil
}

// eachSaved calls fn, in key order, for what Save writes: the records of
// the file served as it holds them, and used (sorted, one per key), which
// replaces the file's record of the same key.
func (p *Pack) eachSaved(used []packedRecord, fn func(packedRecord) error) error {
	j := 0
	for i, r := range p.old {
		for ; j < len(used) && bytes.Compare(used[j].key[:], r.key[:]) < 0; j++ {
			if err := fn(used[j]); err != nil {
				return err
			}
		}
		if j < len(used) && used[j].key == r.key || !p.isServed(i) {
			continue
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	for ; j < len(used); j++ {
		if err := fn(used[j]); err != nil {
			return err
		}
	}
	return nil
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
	slices.SortStableFunc(recs, func(a, b packedRecord) int { return bytes.Compare(a.key[:], b.key[:]) })
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
	p.file, p.scratch, p.old, p.served, p.used = nil, nil, nil, nil, nil
	p.broken = true
}
