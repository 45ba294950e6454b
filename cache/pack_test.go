package cache

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// packEntry is a one-output entry naming blob s.
func packEntry(t testing.TB, c *Cache, s string) Entry {
	t.Helper()
	d := put(t, c, s)
	return Entry{Outputs: []Output{{Name: "x", Digest: d, Size: int64(len(s)), Stamp: current(c, d)}}, Time: time.Unix(0, 7)}
}

// What a pack serves is what the record files say, whatever happened to
// them since it was saved: unchanged, replaced, removed or never packed.
func TestPackServesTheRecordFiles(t *testing.T) {
	c := openCache(t)
	same, replaced, removed, unpacked := keyOf("same"), keyOf("replaced"), keyOf("removed"), keyOf("unpacked")
	p := c.OpenPack("sweep")
	for _, k := range []ActionKey{same, replaced, removed} {
		if err := p.Put(k, packEntry(t, c, k.String()[:8])); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	newer := packEntry(t, c, "newer")
	for _, err := range []error{c.PutAction(replaced, newer), c.DeleteAction(removed), c.PutAction(unpacked, newer)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	p = c.OpenPack("sweep")
	for _, k := range []ActionKey{same, replaced, removed, unpacked} {
		want, wantErr := c.GetAction(k)
		got, err := p.Lookup(k)
		if !reflect.DeepEqual(got, want) || errors.Is(err, ErrNotFound) != errors.Is(wantErr, ErrNotFound) {
			t.Errorf("%s: pack served %+v, %v; the record file says %+v, %v", k.String()[:8], got, err, want, wantErr)
		}
	}
}

// A packed record is served without reading its file while the file's
// stat equals the stamp packed with it: shown by a pack whose text differs
// from the file it vouches for. Once the file moves, the file wins.
func TestPackTrustsItsStamps(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
	onDisk, packed := packEntry(t, c, "on-disk"), packEntry(t, c, "packed")
	if err := c.PutAction(k, onDisk); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(c.path(actionsDir, k.String(), ""))
	if err != nil {
		t.Fatal(err)
	}
	text, err := formatAction(packed)
	if err != nil {
		t.Fatal(err)
	}
	writeRaw(t, c.OpenPack("sweep").path, rawPack(rawRecord{k, stampOf(info), text}))
	if got, err := c.OpenPack("sweep").Lookup(k); err != nil || !reflect.DeepEqual(got, packed) {
		t.Errorf("stamp equal: served %+v, %v; want the packed %+v", got, err, packed)
	}
	if err := c.PutAction(k, onDisk); err != nil { // a new file: a new inode
		t.Fatal(err)
	}
	if got, err := c.OpenPack("sweep").Lookup(k); err != nil || !reflect.DeepEqual(got, onDisk) {
		t.Errorf("record replaced: served %+v, %v; want the file's %+v", got, err, onDisk)
	}
}

// A pack that holds exactly what was looked up is not rewritten; one that
// is damaged is ignored from the damage on.
func TestPackSaveAndDamage(t *testing.T) {
	c := openCache(t)
	k1, k2 := keyOf("1"), keyOf("2")
	p := c.OpenPack("sweep")
	for _, k := range []ActionKey{k1, k2} {
		if err := p.Put(k, packEntry(t, c, k.String()[:8])); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p.path)
	p = c.OpenPack("sweep")
	for _, k := range []ActionKey{k1, k2} {
		if _, err := p.Lookup(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(p.path); !os.SameFile(before, after) {
		t.Error("a pack served whole was rewritten")
	}
	b, _ := os.ReadFile(p.path)
	writeRaw(t, p.path, string(b[:len(b)-10]))
	p = c.OpenPack("sweep")
	if p.idx.n != 1 {
		t.Errorf("a pack cut inside its second record kept %d records, want 1", p.idx.n)
	}
	for _, k := range []ActionKey{k1, k2} {
		want, _ := c.GetAction(k)
		if got, err := p.Lookup(k); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("damaged pack: served %+v, %v; want %+v", got, err, want)
		}
	}
}

// GC removes packs: copies, which the next run of each sweep writes again.
func TestGCRemovesPacks(t *testing.T) {
	c := openCache(t)
	p := c.OpenPack("sweep")
	if err := p.Put(keyOf("k"), packEntry(t, c, "k")); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := c.GC(1<<30, nil)
	if err != nil || st.PacksRemoved != 1 {
		t.Fatalf("GC: %+v, %v; want 1 pack removed", st, err)
	}
	if _, err := os.Stat(p.path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pack still there after GC: %v", err)
	}
}

// A record put twice through one pack is saved once, as last put.
func TestPackKeepsTheLatestOfARecord(t *testing.T) {
	c := openCache(t)
	k := keyOf("k")
	p := c.OpenPack("sweep")
	for _, s := range []string{"first", "second"} {
		if err := p.Put(k, packEntry(t, c, s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p = c.OpenPack("sweep")
	st, err := statStamp(c.path(actionsDir, k.String(), ""))
	if err != nil {
		t.Fatal(err)
	}
	if recs := packRecords(t, p); len(recs) != 1 || recs[0].stamp != st {
		t.Fatalf("pack holds %+v; want one record stamped as the file (%v)", recs, st)
	}
	want, _ := c.GetAction(k)
	if got, err := p.Lookup(k); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("served %+v, %v; want %+v", got, err, want)
	}
}

// A rerun that finds every record as its pack holds it keeps a bit per
// record, not a copy of its place, and leaves the file alone; records new
// to the pack, or put again, are saved with the served ones in key order,
// the later text of a key winning.
func TestPackServedRecordsCostABit(t *testing.T) {
	c := openCache(t)
	keys := savePacked(t, c, 100, ownBlobs(t, c))
	p := c.OpenPack("sweep")
	before, _ := os.Stat(p.path)
	for _, k := range keys {
		if _, err := p.Lookup(k); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.fresh)+len(p.runs) != 0 || p.servedCount() != len(keys) {
		t.Fatalf("after a no-op: %d records listed, %d runs, %d served; want 0, 0 and %d", len(p.fresh), len(p.runs), p.servedCount(), len(keys))
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(p.path); !os.SameFile(before, after) {
		t.Error("a no-op rewrote the pack")
	}

	p = c.OpenPack("sweep")
	for _, k := range keys[:50] { // half served, one of them put again, one new
		if _, err := p.Lookup(k); err != nil {
			t.Fatal(err)
		}
	}
	again, fresh := packEntry(t, c, "again"), keyOf("fresh")
	if err := p.Put(keys[7], again); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(fresh, packEntry(t, c, "fresh")); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p = c.OpenPack("sweep")
	if p.idx.n != 51 {
		t.Fatalf("saved %d records; want the 50 used and the new one", p.idx.n)
	}
	for k, want := range map[ActionKey]Entry{keys[7]: again, keys[8]: packEntry(t, c, "8")} {
		got, err := p.Lookup(k)
		if err != nil || !reflect.DeepEqual(got.Outputs, want.Outputs) {
			t.Errorf("%s: served %+v, %v; want %+v", k.String()[:8], got, err, want)
		}
	}
}

// savePacked puts n records, the i-th entry(i), through the pack "sweep"
// and saves it.
func savePacked(tb testing.TB, c *Cache, n int, entry func(i int) Entry) []ActionKey {
	tb.Helper()
	keys := make([]ActionKey, n)
	p := c.OpenPack("sweep")
	for i := range keys {
		keys[i] = keyOf(strconv.Itoa(i))
		if err := p.Put(keys[i], entry(i)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// ownBlobs is savePacked's entry naming a blob of its own for each record.
func ownBlobs(tb testing.TB, c *Cache) func(i int) Entry {
	return func(i int) Entry { return packEntry(tb, c, strconv.Itoa(i)) }
}

// rawRecord is a record of a pack file written by hand.
type rawRecord struct {
	key   ActionKey
	stamp Stamp
	text  string
}

// rawPack is a pack file of recs, in the order given.
func rawPack(recs ...rawRecord) string {
	var b strings.Builder
	b.Write(packHead(len(recs)))
	off := indexStart + int64(len(recs))*entrySize
	e := make([]byte, entrySize)
	for _, r := range recs {
		encodeEntry(e, packedRecord{key: r.key, stamp: r.stamp, off: off, size: len(r.text)})
		b.Write(e)
		off += int64(len(r.text))
	}
	for _, r := range recs {
		b.WriteString(r.text)
	}
	return b.String()
}

// packRecords are the records of p's file, in order.
func packRecords(t *testing.T, p *Pack) []packedRecord {
	t.Helper()
	var recs []packedRecord
	e := newEntries(p.file, indexStart, p.idx.n)
	for r, ok := e.next(); ok; r, ok = e.next() {
		recs = append(recs, r)
	}
	if e.err != nil {
		t.Fatal(e.err)
	}
	return recs
}

// An open pack keeps one key in sampleEvery, and finds every record of
// its file by reading one block of the index: the first and last of a
// block, one inside it, and none of the keys the file lacks.
func TestPackIndexFind(t *testing.T) {
	const n = 3*sampleEvery + 5
	keys := make([]ActionKey, n+4)
	for i := range keys {
		keys[i] = keyOf(strconv.Itoa(i))
	}
	slices.SortFunc(keys, compareKeys)
	absent := []ActionKey{keys[0], keys[40], keys[41], keys[len(keys)-1]} // below, inside, above
	var recs []rawRecord
	for _, k := range keys {
		if !slices.Contains(absent, k) {
			recs = append(recs, rawRecord{k, Stamp{1, 2, 3, int64(len(recs))}, strconv.Itoa(len(recs))})
		}
	}
	pack := rawPack(recs...)
	x := loadIndex(strings.NewReader(pack), int64(len(pack)))
	if x.n != n || len(x.sample) != 4 {
		t.Fatalf("indexed %d records with %d keys sampled; want %d and 4", x.n, len(x.sample), n)
	}
	for _, i := range []int{0, 1, sampleEvery - 1, sampleEvery, sampleEvery + 7, n - 1} {
		j, r := x.find(recs[i].key)
		if got := pack[r.off : r.off+int64(r.size)]; j != i || r.stamp != recs[i].stamp || got != recs[i].text {
			t.Errorf("record %d: found %d stamped %v holding %q; want %v, %q", i, j, r.stamp, got, recs[i].stamp, recs[i].text)
		}
	}
	for _, k := range absent {
		if j, _ := x.find(k); j >= 0 {
			t.Errorf("found %s at %d; the pack lacks it", k.String()[:8], j)
		}
	}
}

// Records new to a pack go to scratch in sorted runs of chunkRecords at
// most; Save merges the runs with the file's served records, the latest
// run's record of a key winning over earlier runs and over the file.
func TestPackSpillsRuns(t *testing.T) {
	defer func(n int) { chunkRecords = n }(chunkRecords)
	chunkRecords = 3
	c := openCache(t)
	keys := savePacked(t, c, 10, ownBlobs(t, c))
	p := c.OpenPack("sweep")
	want := map[ActionKey]Entry{}
	for i, k := range keys[:8] { // 0-7 served, 8-9 neither served nor saved
		if _, err := p.Lookup(k); err != nil {
			t.Fatal(err)
		}
		want[k], _ = c.GetAction(keys[i])
	}
	for i, s := range []string{"a", "b", "c", "d", "e", "f", "g"} { // 3 and 4 put three and two times, in different runs
		k := keys[3+i%2]
		if i == 6 {
			k = keyOf("new")
		}
		e := packEntry(t, c, s)
		if err := p.Put(k, e); err != nil {
			t.Fatal(err)
		}
		want[k] = e
		if len(p.fresh) >= chunkRecords {
			t.Fatalf("%d fresh records in memory; want fewer than %d", len(p.fresh), chunkRecords)
		}
	}
	if len(p.runs) != 2 {
		t.Fatalf("%d runs in scratch; want 2", len(p.runs))
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p = c.OpenPack("sweep")
	if p.idx.n != len(want) {
		t.Errorf("saved %d records; want %d", p.idx.n, len(want))
	}
	for k, e := range want {
		i, r := p.idx.find(k)
		text, _ := p.text(r)
		got, err := parseAction(text)
		if i < 0 || err != nil || !reflect.DeepEqual(got.Outputs, e.Outputs) {
			t.Errorf("%s: pack holds %+v, %v; want %+v", k.String()[:8], got, err, e)
		}
	}
}
