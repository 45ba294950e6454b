package cache

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// packEntry is a one-output entry naming blob s.
func packEntry(t *testing.T, c *Cache, s string) Entry {
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
	pack := packHeader + k.String() + " " + stampOf(info).String() + " " + strconv.Itoa(len(text)) + "\n" + text
	writeRaw(t, c.OpenPack("sweep").path, pack)
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
	if len(p.old) != 1 {
		t.Errorf("a pack cut inside its second record kept %d records, want 1", len(p.old))
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
	if len(p.old) != 1 || p.old[0].stamp != st {
		t.Fatalf("pack holds %+v; want one record stamped as the file (%v)", p.old, st)
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
	keys := make([]ActionKey, 100)
	p := c.OpenPack("sweep")
	for i := range keys {
		keys[i] = keyOf(strconv.Itoa(i))
		if err := p.Put(keys[i], packEntry(t, c, strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(p.path)
	p = c.OpenPack("sweep")
	for _, k := range keys {
		if _, err := p.Lookup(k); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.used) != 0 || p.servedCount() != len(keys) {
		t.Fatalf("after a no-op: %d records listed, %d served; want 0 and %d", len(p.used), p.servedCount(), len(keys))
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
	if len(p.old) != 51 {
		t.Fatalf("saved %d records; want the 50 used and the new one", len(p.old))
	}
	for i := 1; i < len(p.old); i++ {
		if string(p.old[i-1].key[:]) >= string(p.old[i].key[:]) {
			t.Fatalf("records %d and %d out of key order", i-1, i)
		}
	}
	for k, want := range map[ActionKey]Entry{keys[7]: again, keys[8]: packEntry(t, c, "8")} {
		got, err := p.Lookup(k)
		if err != nil || !reflect.DeepEqual(got.Outputs, want.Outputs) {
			t.Errorf("%s: served %+v, %v; want %+v", k.String()[:8], got, err, want)
		}
	}
}
