package cache

import (
	"bufio"
	"reflect"
	"strconv"
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

// FuzzParsePack: no pack file makes the pack indexer panic, and every
// record it keeps lies within the file, after its own line.
func FuzzParsePack(f *testing.F) {
	text, err := formatAction(Entry{Time: time.Unix(1, 2), Outputs: []Output{{"a", digestOf("a"), 3, Stamp{3, 4, 5, 6}, ""}}})
	if err != nil {
		f.Fatal(err)
	}
	k := keyOf("k")
	f.Add(packHeader + k.String() + " 1:2:3:4 " + strconv.Itoa(len(text)) + "\n" + text)
	f.Add(packHeader + k.String() + " - 5\nabc")
	f.Fuzz(func(t *testing.T, pack string) {
		for _, r := range indexPack(bufio.NewReader(strings.NewReader(pack))) {
			if r.off < int64(len(packHeader)) || r.size < 0 || r.off+int64(r.size) > int64(len(pack)) {
				t.Fatalf("record of %d bytes at %d is not in the pack of %d", r.size, r.off, len(pack))
			}
			if pack[r.off-1] != '\n' {
				t.Fatalf("record at %d does not follow its line: %q", r.off, pack[:r.off])
			}
		}
	})
}
