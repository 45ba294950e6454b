package cache

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseAction: no text makes the record parser panic, and a record it
// accepts is one PutAction would write: formatting it and parsing again
// gives the same entry.
func FuzzParseAction(f *testing.F) {
	e := Entry{Time: time.Unix(1700000000, 5), Outputs: []Output{
		{"a", digestOf("a"), 3, Stamp{}, ""},
		{"b.npy", digestOf("b"), 0, Stamp{0, 1700000000000000001, 42, 1700000000000000002}, "array:float64:3x4"},
	}}
	text, err := formatAction(e)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(text)
	f.Add(actionHeader + "\ntime 1\noutputs 0\n")
	f.Add(actionHeaderV2 + "\ntime 1\noutputs 1\noutput x " + digestOf("x").String() + " 1\n")
	f.Add(actionHeader + "\ntime 1\noutputs 1\n")
	f.Fuzz(func(t *testing.T, text string) {
		e, err := parseAction(text)
		if err != nil {
			return
		}
		again, err := formatAction(e)
		if err != nil {
			t.Fatalf("accepted %q, whose entry cannot be written: %v", text, err)
		}
		e2, err := parseAction(again)
		if err != nil || !reflect.DeepEqual(e, e2) {
			t.Fatalf("%q parsed as %+v; written and read again: %+v, %v", text, e, e2, err)
		}
	})
}

// FuzzLoadPackIndex: no file makes the pack indexer panic; every record
// it keeps has its text within the file's text section, the keys
// increase, and find finds each.
func FuzzLoadPackIndex(f *testing.F) {
	text, err := formatAction(Entry{Time: time.Unix(1, 2), Outputs: []Output{{"a", digestOf("a"), 3, Stamp{3, 4, 5, 6}, ""}}})
	if err != nil {
		f.Fatal(err)
	}
	whole := rawPack(rawRecord{keyOf("a"), Stamp{1, 2, 3, 4}, text}, rawRecord{keyOf("b"), Stamp{}, "abc"})
	f.Add(whole)
	f.Add(whole[:len(whole)-2])
	f.Add(packHeader)
	f.Fuzz(func(t *testing.T, pack string) {
		x := loadIndex(strings.NewReader(pack), int64(len(pack)))
		e := newEntries(strings.NewReader(pack), indexStart, x.n)
		var prev ActionKey
		for i := 0; i < x.n; i++ {
			r, ok := e.next()
			if !ok {
				t.Fatalf("kept %d records; entry %d cannot be read: %v", x.n, i, e.err)
			}
			if r.off < x.texts || r.off+int64(r.size) > int64(len(pack)) {
				t.Fatalf("record of %d bytes at %d is not in the text section [%d, %d)", r.size, r.off, x.texts, len(pack))
			}
			if i > 0 && compareKeys(prev, r.key) >= 0 {
				t.Fatalf("record %d is out of key order", i)
			}
			if j, got := x.find(r.key); j != i || got != r {
				t.Fatalf("find(record %d) = %d, %+v; want %+v", i, j, got, r)
			}
			prev = r.key
		}
	})
}
