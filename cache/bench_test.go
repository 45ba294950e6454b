package cache

import (
	"fmt"
	"io"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// BenchmarkPutBlob stores a new 4 KiB blob per iteration: temp file, two
// fsyncs and a rename.
func BenchmarkPutBlob(b *testing.B) {
	c := openCache(b)
	data := make([]byte, 4<<10)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		d := digestOf(fmt.Sprint(i))
		if err := c.PutBlob(d, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutBlobPresent is the common case of a rerun: the blob exists.
func BenchmarkPutBlobPresent(b *testing.B) {
	c := openCache(b)
	d := put(b, c, "present")
	for b.Loop() {
		if err := c.PutBlob(d, writeString("present")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenBlob opens and closes a small blob.
func BenchmarkOpenBlob(b *testing.B) {
	c := openCache(b)
	d := put(b, c, "small")
	for b.Loop() {
		f, err := c.OpenBlob(d)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkHasBlob is one output check of a cached stage.
func BenchmarkHasBlob(b *testing.B) {
	c := openCache(b)
	d := put(b, c, "small")
	for b.Loop() {
		if !c.HasBlob(d) {
			b.Fatal("missing")
		}
	}
}

// BenchmarkGetAction reads a three-output action record.
func BenchmarkGetAction(b *testing.B) {
	c := openCache(b)
	k := keyOf("k")
	outs := []Output{{"a", digestOf("a"), 1, Stamp{}, ""}, {"b", digestOf("b"), 2, Stamp{}, ""}, {"c", digestOf("c"), 3, Stamp{}, ""}}
	if err := c.PutAction(k, Entry{Outputs: outs}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.GetAction(k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNoopRerun does what a rerun of 1000 cached stages with 3
// outputs each asks of the cache: 1000 GetAction and 3000 HasBlob. The
// goal is well under 1 s per rerun.
func BenchmarkNoopRerun(b *testing.B) {
	const stages, outputs = 1000, 3
	c := openCache(b)
	keys := make([]ActionKey, stages)
	for i := range keys {
		keys[i] = keyOf(fmt.Sprint(i))
		e := Entry{}
		for j := 0; j < outputs; j++ {
			s := fmt.Sprintf("%d-%d", i, j)
			d := digestOf(s)
			writeRaw(b, c.BlobPath(d), s) // setup only: skips the fsyncs
			e.Outputs = append(e.Outputs, Output{fmt.Sprint("o", j), d, int64(len(s)), Stamp{}, ""})
		}
		writeRaw(b, c.path(actionsDir, keys[i].String(), ""), mustFormat(b, e))
	}
	for b.Loop() {
		for _, k := range keys {
			e, err := c.GetAction(k)
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range e.Outputs {
				if !c.HasBlob(o.Digest) {
					b.Fatal("missing blob")
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/stages, "ns/stage")
}

func mustFormat(b *testing.B, e Entry) string {
	text, err := formatAction(e)
	if err != nil {
		b.Fatal(err)
	}
	return text
}

// BenchmarkArrayHasher measures canonical hashing of a 64 MiB array (goal
// ≥ 1 GB/s per core; crypto/sha256 uses the SHA extensions where present).
func BenchmarkArrayHasher(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := ndarray.NewArrayHasher("float32", []int{len(data) / 4})
		h.Write(data)
		h.Sum()
	}
}

// BenchmarkPackLookup serves a record of a saved pack of 10,000 (a
// no-op rerun's lookup: a block of the index read, the record's stat
// and its text); BenchmarkOpenPack reads that pack's index.
func BenchmarkPackLookup(b *testing.B) {
	c, keys := savedPack(b, 10_000)
	p := c.OpenPack("sweep")
	for i := 0; b.Loop(); i++ {
		if _, err := p.Lookup(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenPack(b *testing.B) {
	c, _ := savedPack(b, 10_000)
	for b.Loop() {
		c.OpenPack("sweep").close()
	}
}

// savedPack is a cache with n records of one blob, saved in a pack.
func savedPack(b *testing.B, n int) (*Cache, []ActionKey) {
	c := openCache(b)
	d := put(b, c, "x")
	e := Entry{Outputs: []Output{{Name: "x", Digest: d, Size: 1, Stamp: current(c, d)}}}
	return c, savePacked(b, c, n, func(int) Entry { return e })
}
