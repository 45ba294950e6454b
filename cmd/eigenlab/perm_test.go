package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// On a shared cache whose files another user made 0600, gc keeps what it
// cannot read and verify --all calls it unreadable, not corrupt: nothing
// is deleted on a permission error.
func TestUnreadableIsNotCorrupt(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make files another user cannot read")
	}
	s := newState(t)
	exp := tinySweep(t, s.dir)
	if out, code := s.run(t, "run", exp); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	root := filepath.Join(s.dir, "cache")
	count := func(sub string) int {
		n := 0
		filepath.WalkDir(filepath.Join(root, sub), func(_ string, d fs.DirEntry, _ error) error {
			if d != nil && d.Type().IsRegular() {
				n++
			}
			return nil
		})
		return n
	}
	blobs, actions := count("blobs"), count("actions")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, _ error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o777)
		}
		return os.Chmod(p, 0o600)
	})
	other := filepath.Join(s.dir, "other") // the other user's own database
	if err := os.Mkdir(other, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(other, 0o777)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"gc", "--max-size", "1G"}, 0, "kept " + strconv.Itoa(actions) + " action records this user may not read"},
		{[]string{"verify", "--all"}, 1, "0 corrupt (evicted), " + strconv.Itoa(blobs) + " unreadable by this user"},
	} {
		cmd := s.cmd(c.args...)
		cmd.Env = append(cmd.Env, "EIGENLAB_DB="+filepath.Join(other, "p.db"))
		asUnprivileged(t, cmd, s.dir)
		out, code := exitOf(t, cmd)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s", c.args, code, c.code, c.want, out)
		}
	}
	if b, a := count("blobs"), count("actions"); b != blobs || a != actions {
		t.Errorf("after gc and verify by another user: %d blobs and %d action records, want %d and %d (nothing deleted)", b, a, blobs, actions)
	}
}
