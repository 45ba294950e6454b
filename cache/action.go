package cache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Output is one named output of an action.
type Output struct {
	Name   string
	Digest Digest
	Size   int64 // bytes of the blob
}

// Entry is an action record: what an action produced and when.
type Entry struct {
	Outputs []Output
	Time    time.Time
}

const actionHeader = "eigenlab-action-record v1"

// PutAction records the outputs of action k. Call it only after every
// output blob is stored, so a record never points at missing bytes.
func (c *Cache) PutAction(k ActionKey, e Entry) error {
	err := c.writeAtomic(c.path("actions", k.String(), ""), func(w io.Writer) error {
		fmt.Fprintf(w, "%s\ntime %d\n", actionHeader, e.Time.UnixNano())
		for _, o := range e.Outputs {
			if strings.ContainsAny(o.Name, " \n") {
				return fmt.Errorf("output name %q contains a space or newline", o.Name)
			}
			fmt.Fprintf(w, "output %s %s %d\n", o.Name, o.Digest, o.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: recording action %s: %w", k.String()[:12], err)
	}
	return nil
}

// GetAction returns the record of action k. An absent or malformed record
// is a miss (an error wrapping ErrNotFound), never a crash.
func (c *Cache) GetAction(k ActionKey) (Entry, error) {
	p := c.path("actions", k.String(), "")
	f, err := os.Open(p)
	if err != nil {
		return Entry{}, &missError{"action " + k.String()[:12], err}
	}
	defer f.Close()
	e, err := parseAction(f)
	if err != nil {
		return Entry{}, &missError{"action " + k.String()[:12], err}
	}
	touch(p)
	return e, nil
}

func parseAction(r io.Reader) (Entry, error) {
	var e Entry
	sc := bufio.NewScanner(r)
	if !sc.Scan() || sc.Text() != actionHeader {
		return e, errors.New("malformed record: bad header")
	}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "time":
			ns, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return e, fmt.Errorf("malformed record: %v", err)
			}
			e.Time = time.Unix(0, ns)
		case len(f) == 4 && f[0] == "output":
			d, err := ParseDigest(f[2])
			size, err2 := strconv.ParseInt(f[3], 10, 64)
			if err != nil || err2 != nil {
				return e, fmt.Errorf("malformed record line %q", sc.Text())
			}
			e.Outputs = append(e.Outputs, Output{Name: f[1], Digest: d, Size: size})
		default:
			return e, fmt.Errorf("malformed record line %q", sc.Text())
		}
	}
	return e, sc.Err()
}

// DeleteAction removes the record of action k, if any.
func (c *Cache) DeleteAction(k ActionKey) error {
	err := os.Remove(c.path("actions", k.String(), ""))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Actions calls fn for every well-formed action record.
func (c *Cache) Actions(fn func(k ActionKey, e Entry) error) error {
	return walk(filepath.Join(c.dir, "actions"), "", func(name string, _ fs.FileInfo) error {
		k, err := ParseActionKey(name)
		if err != nil {
			return nil
		}
		e, err := c.GetAction(k)
		if err != nil {
			return nil
		}
		return fn(k, e)
	})
}
