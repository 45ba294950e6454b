package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
)

// A Pack serves the action records of one sweep from a single file mapped
// when it opens, instead of a file read per record: a rerun of 10,000
// stages otherwise reads 10,000 scattered 4 KiB blocks, which is most of
// its time when the page cache no longer holds them (a rerun the next
// day, or after a long job).
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
// It is safe for concurrent use.
type Pack struct {
	c    *Cache
	path string
	old  map[ActionKey]packedRecord // read from the file: text still unparsed

	mu      sync.Mutex
	used    map[ActionKey]packedRecord // looked up or put through this pack
	changed bool                       // used differs from what the file holds
}

type packedRecord struct {
	stamp Stamp  // the record file's stat when it was read or written
	text  string // the record's text, from the pack file; "" when e holds it
	e     Entry  // the record, when it was read from its file or put
}

// packHeader starts a pack file; a pack of another version is ignored.
const packHeader = "eigenlab-action-pack v1\n"

// OpenPack opens the pack named name (any string: a sweep's name), empty
// if there is none or it cannot be read: a pack is a hint, never needed.
// The file is mapped, not read into the heap: at 100,000 stages it holds
// ~100 MB, which as live heap would double the run's peak memory.
func (c *Cache) OpenPack(name string) *Pack {
	sum := sha256.Sum256([]byte(name))
	p := &Pack{c: c, path: filepath.Join(c.dir, packsDir, hex.EncodeToString(sum[:16])),
		used: map[ActionKey]packedRecord{}}
	if text := mapPack(p, p.path); text != "" {
		p.old = parsePack(text)
	}
	return p
}

// parsePack reads a pack file: after the header, per record a line
// "<key hex> <stamp> <length>" and the record's text of that length. It
// stops at the first thing it cannot read, keeping what came before.
func parsePack(text string) map[ActionKey]packedRecord {
	rest, ok := strings.CutPrefix(text, packHeader)
	if !ok {
		return nil
	}
	m := map[ActionKey]packedRecord{}
	for rest != "" {
		line, body, ok := strings.Cut(rest, "\n")
		if !ok {
			break
		}
		keyText, line, _ := strings.Cut(line, " ")
		stampText, sizeText, _ := strings.Cut(line, " ")
		k, err := ParseActionKey(keyText)
		st, err2 := parseStamp(stampText)
		size, err3 := strconv.Atoi(sizeText)
		if err != nil || err2 != nil || err3 != nil || size < 0 || size > len(body) {
			break
		}
		m[k] = packedRecord{stamp: st, text: body[:size]}
		rest = body[size:]
	}
	return m
}

// Lookup returns the record of action k as GetAction does, from the pack
// while its copy is current, and marks the record used.
func (p *Pack) Lookup(k ActionKey) (Entry, error) {
	path := p.c.path(actionsDir, k.String(), "")
	if r, ok := p.old[k]; ok && !r.stamp.IsZero() {
		if st, err := statStamp(path); err == nil && st == r.stamp {
			if e, err := parseAction(r.text); err == nil {
				p.use(k, path, r, time.Unix(0, st.MtimeNS), false)
				for i, o := range e.Outputs { // not the mapped file's bytes: they go when the pack does
					e.Outputs[i].Name, e.Outputs[i].Meta = strings.Clone(o.Name), strings.Clone(o.Meta)
				}
				return e, nil
			}
		}
	}
	e, info, err := p.c.getAction(k)
	if err != nil {
		return Entry{}, err
	}
	p.use(k, path, packedRecord{stamp: stampOf(info), e: Entry{Outputs: slices.Clone(e.Outputs), Time: e.Time}}, info.ModTime(), true)
	return e, nil
}

// use notes record k as served and marks it used (touch); a moved mtime
// is then part of the record's stamp.
func (p *Pack) use(k ActionKey, path string, r packedRecord, mtime time.Time, fresh bool) {
	if touch(path, mtime) {
		st, err := statStamp(path)
		if err != nil {
			return
		}
		r.stamp, fresh = st, true
	}
	p.mu.Lock()
	p.used[k] = r
	p.changed = p.changed || fresh
	p.mu.Unlock()
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
	p.mu.Lock()
	p.used[k] = packedRecord{stamp: st, e: e}
	p.changed = true
	p.mu.Unlock()
	return nil
}

// Save writes the pack with every record looked up or put through it,
// unless they are all as the file already holds them. It is not fsynced:
// a pack lost in a crash costs one slower rerun.
func (p *Pack) Save() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.changed && len(p.used) == len(p.old) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	err := atomicfile.WriteBatched(p.c.TempDir(), p.path, fileMode, atomicfile.Volatile, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString(packHeader)
		for _, k := range slices.SortedFunc(maps.Keys(p.used), func(a, b ActionKey) int { return bytes.Compare(a[:], b[:]) }) {
			r := p.used[k]
			if r.text == "" {
				var err error
				if r.text, err = formatAction(r.e); err != nil {
					return err
				}
			}
			fmt.Fprintf(bw, "%s %s %d\n%s", k, r.stamp, len(r.text), r.text)
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("cache: saving pack: %w", err)
	}
	return nil
}
