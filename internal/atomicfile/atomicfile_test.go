package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// names lists dir, so a test can see every file a write left behind.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteReplacesWholeFileWithMode(t *testing.T) {
	// A strict umask shows the mode is set as asked, not left to it.
	defer syscall.Umask(syscall.Umask(0o077))
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	for _, s := range []string{"first version\n", "second\n"} {
		if err := Write(path, UserMode, writeString(s)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != s {
			t.Fatalf("file holds %q (%v), want %q", b, err, s)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out.csv"}) {
		t.Errorf("directory holds %v, want only out.csv", got)
	}
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "fresh.npz"), filepath.Join(dir, "old.npz")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	halfThenFail := func(w io.Writer) error {
		io.WriteString(w, "half of the bytes")
		return boom
	}
	halfThenPanic := func(w io.Writer) error {
		io.WriteString(w, "half of the bytes")
		panic("encoder bug")
	}
	for _, path := range []string{fresh, old} {
		if err := Write(path, UserMode, halfThenFail); !errors.Is(err, boom) {
			t.Errorf("Write(%s) = %v, want the writer's error", path, err)
		}
		func() {
			defer func() { recover() }()
			Write(path, UserMode, halfThenPanic)
		}()
	}
	if got := names(t, dir); !slices.Equal(got, []string{"old.npz"}) {
		t.Errorf("after failed writes the directory holds %v, want only old.npz", got)
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("old.npz holds %q after failed writes, want its old content", b)
	}
}

func TestWriteViaLeavesNoTemporaryFile(t *testing.T) {
	tmp, dst := t.TempDir(), t.TempDir()
	path := filepath.Join(dst, "blob")
	if err := WriteVia(tmp, path, 0o600, writeString("x")); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("stat %s: %v, %v; want mode 0600", path, info, err)
	}
	if got := names(t, tmp); len(got) != 0 {
		t.Errorf("temp dir holds %v after the write", got)
	}
}

// Writers of one path that are all mid-write at once each have their own
// temporary file, and the file ends up whole: one writer's bytes.
func TestConcurrentWritersNeverShareATemporaryFile(t *testing.T) {
	const n = 8
	dir := t.TempDir()
	path := filepath.Join(dir, "result.json")
	var started, all sync.WaitGroup
	started.Add(n)
	temps := make([]string, n)
	contents := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		contents[i] = fmt.Sprintf("writer %d wrote this whole line\n", i)
		all.Add(1)
		go func() {
			defer all.Done()
			errs[i] = Write(path, UserMode, func(w io.Writer) error {
				temps[i] = w.(*os.File).Name()
				io.WriteString(w, contents[i][:5])
				started.Done()
				started.Wait() // every writer now holds a half-written temp file
				_, err := io.WriteString(w, contents[i][5:])
				return err
			})
		}()
	}
	all.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(temps))); len(distinct) != n {
		t.Errorf("%d writers used %d temporary files: %v", n, len(distinct), temps)
	}
	b, err := os.ReadFile(path)
	if err != nil || !slices.Contains(contents, string(b)) {
		t.Errorf("file holds %q (%v), want one writer's whole content", b, err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"result.json"}) {
		t.Errorf("directory holds %v, want only result.json", got)
	}
}

// WriteNew publishes a new file like Write, and refuses an existing one,
// leaving it and its directory as they were.
func TestWriteNewRefusesExistingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npz")
	if err := WriteNew(path, UserMode, writeString("new\n")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new\n" {
		t.Fatalf("file holds %q (%v), want \"new\\n\"", b, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != UserMode {
		t.Errorf("mode %v (%v), want %v", info.Mode().Perm(), err, UserMode)
	}
	err := WriteNew(path, UserMode, writeString("other\n"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second WriteNew: %v, want an error wrapping fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("refused write changed the file to %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"x.npz"}) {
		t.Errorf("directory holds %v, want only x.npz", got)
	}
}
