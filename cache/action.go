package cache

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/eigenlab/eigenlab/internal/atomicfile"
	"github.com/eigenlab/eigenlab/ndarray"
)

// Output is one named output of an action.
type Output struct {
	Name   string
	Digest ndarray.Digest
	Size   int64 // bytes of the blob
	// Stamp is the blob's stat when its content was last known good
	// (VerifyStamped); the zero Stamp makes the next lookup re-hash it.
	Stamp Stamp
	// Meta is the caller's description of the content, kept with the
	// record so that a lookup can describe an output without reading its
	// blob; "" or a token without white space. The cache does not read it.
	Meta string
}

// Entry is an action record: what an action produced and when.
type Entry struct {
	Outputs []Output
	Time    time.Time
}

// An action record is text, one fact per line:
//
//	eigenlab-action-record v4
//	time <unix nanoseconds>
//	outputs <count>
//	output <name> <digest hex> <size> <stamp> <meta or ->     (count lines)
//
// The count makes a record cut at a line boundary malformed rather than
// silently shorter. Bump the version when the format changes: older
// records then read as misses and are recomputed, except v3 records
// (v4 without meta) and v2 records (v3 without stamps), which read as
// records without meta and, for v2, whose blobs are re-hashed.
const (
	actionHeader   = "eigenlab-action-record v4"
	actionHeaderV3 = "eigenlab-action-record v3"
	actionHeaderV2 = "eigenlab-action-record v2"
	maxRecord      = 1 << 20 // far above any real record; bounds what a corrupt one costs
)

// PutAction records the outputs of action k, replacing any earlier record.
// Call it only after every output blob is stored, so that a record never
// points at bytes that were never written. Output names must be non-empty,
// unique and free of white space; sizes must not be negative. A zero Time
// is recorded as the time of the call. The record is not fsynced: until
// the next Sync a crash of the machine may lose it (see Cache).
func (c *Cache) PutAction(k ActionKey, e Entry) error {
	text, err := formatAction(e)
	if err == nil {
		err = c.writeAtomic(c.path(actionsDir, k.String(), ""), atomicfile.Volatile, func(w io.Writer) error {
			_, err := io.WriteString(w, text)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("cache: recording action %s: %w", k.String()[:12], err)
	}
	return nil
}

func formatAction(e Entry) (string, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if err := checkOutputs(e.Outputs); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ntime %d\noutputs %d\n", actionHeader, e.Time.UnixNano(), len(e.Outputs))
	for _, o := range e.Outputs {
		fmt.Fprintf(&b, "output %s %s %d %s %s\n", o.Name, o.Digest, o.Size, o.Stamp, cmp.Or(o.Meta, noMeta))
	}
	return b.String(), nil
}

// checkOutputs holds outputs to what a record can say: unique non-empty
// names and meta tokens without white space, sizes not negative. Both
// writing and reading a record ask it, so a record read is one that could
// have been written.
func checkOutputs(outs []Output) error {
	var seen map[string]bool // for many outputs; a few are compared in place, without allocating
	if len(outs) > 16 {
		seen = make(map[string]bool, len(outs))
	}
	for i, o := range outs {
		twice := seen[o.Name]
		if seen == nil {
			twice = slices.ContainsFunc(outs[:i], func(p Output) bool { return p.Name == o.Name })
		}
		switch {
		case o.Name == "" || strings.IndexFunc(o.Name, unicode.IsSpace) >= 0:
			return fmt.Errorf("output name %q: want a non-empty name without white space", o.Name)
		case twice:
			return fmt.Errorf("output name %q appears twice", o.Name)
		case o.Size < 0:
			return fmt.Errorf("output %q: size %d is negative", o.Name, o.Size)
		case o.Meta == noMeta || strings.IndexFunc(o.Meta, unicode.IsSpace) >= 0:
			return fmt.Errorf("output %q: meta %q: want a token without white space", o.Name, o.Meta)
		}
		if seen != nil {
			seen[o.Name] = true
		}
	}
	return nil
}

// GetAction returns the record of action k. An absent or malformed record
// is a miss: an error wrapping ErrNotFound and the reason, never a panic.
// Finding a record does not mean its blobs are still present.
func (c *Cache) GetAction(k ActionKey) (Entry, error) {
	e, _, err := c.getAction(k)
	return e, err
}

func (c *Cache) getAction(k ActionKey) (Entry, fs.FileInfo, error) {
	text, info, err := readRecord(c.path(actionsDir, k.String(), ""))
	var e Entry
	if err == nil {
		e, err = parseAction(text)
	}
	if err != nil {
		return Entry{}, nil, &missError{what: "action " + k.String()[:12], reason: err}
	}
	return e, info, nil
}

// readRecord reads a record file and its stat.
func readRecord(path string) (string, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if info.Size() > maxRecord {
		return "", nil, fmt.Errorf("malformed record: longer than %d bytes", maxRecord)
	}
	b := make([]byte, info.Size()+1) // one more, to see a record that grew meanwhile
	n, err := io.ReadFull(f, b)
	switch {
	case err == nil:
		return "", nil, errors.New("malformed record: it grew while read")
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return "", nil, err
	}
	return string(b[:n]), info, nil
}

func parseAction(text string) (Entry, error) {
	var e Entry
	body, ok := strings.CutSuffix(text, "\n")
	header, body, _ := strings.Cut(body, "\n")
	timeLine, body, _ := strings.Cut(body, "\n")
	countLine, body, more := strings.Cut(body, "\n")
	fields := outputFields(header)
	if !ok || fields == 0 || countLine == "" {
		return e, errors.New("malformed record: no complete " + actionHeader + " header")
	}
	ns, err := parseField(timeLine, "time")
	if err != nil {
		return e, err
	}
	e.Time = time.Unix(0, ns)
	n, err := parseField(countLine, "outputs")
	if err != nil {
		return e, err
	}
	for more {
		var line string
		line, body, more = strings.Cut(body, "\n")
		o, err := parseOutput(line, fields)
		if err != nil {
			return e, err
		}
		e.Outputs = append(e.Outputs, o)
	}
	if n != int64(len(e.Outputs)) {
		return e, fmt.Errorf("malformed record: %d outputs announced, %d present", n, len(e.Outputs))
	}
	if err := checkOutputs(e.Outputs); err != nil {
		return e, fmt.Errorf("malformed record: %w", err)
	}
	return e, nil
}

// outputFields is the number of fields of an output line under a record
// header, 0 for no known header.
func outputFields(header string) int {
	switch header {
	case actionHeader:
		return 6
	case actionHeaderV3:
		return 5
	case actionHeaderV2:
		return 4
	}
	return 0
}

// noMeta stands for an output without meta in a record line.
const noMeta = "-"

// parseOutput reads an "output" line of the given number of fields (5 in
// a v3 record, without the meta; 4 in a v2 record, nor the stamp).
func parseOutput(line string, fields int) (Output, error) {
	var f [6]string
	rest, count := line, 0
	for more := true; more; count++ {
		if count == fields {
			return Output{}, fmt.Errorf("malformed record line %q", line)
		}
		f[count], rest, more = strings.Cut(rest, " ")
	}
	if count != fields || f[0] != "output" || f[1] == "" {
		return Output{}, fmt.Errorf("malformed record line %q", line)
	}
	d, err := ndarray.ParseDigest(f[2])
	size, err2 := strconv.ParseInt(f[3], 10, 64)
	var st Stamp
	var err3 error
	if fields >= 5 {
		st, err3 = parseStamp(f[4])
	}
	if err != nil || err2 != nil || err3 != nil || size < 0 || (fields == 6 && f[5] == "") {
		return Output{}, fmt.Errorf("malformed record line %q", line)
	}
	o := Output{Name: f[1], Digest: d, Size: size, Stamp: st}
	if fields == 6 && f[5] != noMeta {
		o.Meta = f[5]
	}
	return o, nil
}

// parseField reads a "name <non-negative integer>" line.
func parseField(line, name string) (int64, error) {
	v, ok := strings.CutPrefix(line, name+" ")
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil || n < 0 {
		return 0, fmt.Errorf("malformed record: line %q, want %q and a non-negative integer", line, name)
	}
	return n, nil
}

// DeleteAction removes the record of action k, if any.
func (c *Cache) DeleteAction(k ActionKey) error {
	err := os.Remove(c.path(actionsDir, k.String(), ""))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache: deleting action %s: %w", k.String()[:12], err)
	}
	return nil
}

// Actions calls fn for every well-formed action record, in key order.
func (c *Cache) Actions(fn func(k ActionKey, e Entry) error) error {
	return c.eachAction(func(k ActionKey, e Entry, err error) error {
		if err != nil {
			return nil
		}
		return fn(k, e)
	})
}

// eachAction calls fn for every action record, with the reason it cannot
// be read if it cannot.
func (c *Cache) eachAction(fn func(k ActionKey, e Entry, err error) error) error {
	return c.walk(actionsDir, "", func(name string, _ fs.FileInfo) error {
		k, err := ParseActionKey(name)
		if err != nil {
			return nil // not a record
		}
		e, err := c.GetAction(k)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile
		}
		return fn(k, e, err)
	})
}
