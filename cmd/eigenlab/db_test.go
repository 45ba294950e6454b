package main

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tinySweepYAML is a two-stage experiment small enough to run in a blink.
const tinySweepYAML = `name: tiny
matrix:
  seed: [0, 1]
stages:
  data:
    kind: load
    params: {source: planted, n: 40, p: 20, alpha: 1.0, seed: ${seed}}
  spec:
    kind: spectrum
    inputs: {x: data}
`

// tinySweep writes tinySweepYAML into dir and returns its path.
func tinySweep(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "tiny-sweep.yaml")
	if err := os.WriteFile(path, []byte(tinySweepYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func exitOf(t *testing.T, c *exec.Cmd) (string, int) {
	t.Helper()
	out, err := c.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// Invalid input exits 2 — a malformed REF among it — and a well-formed
// REF that names nothing is a failure (1).
func TestExitCodes(t *testing.T) {
	s := newState(t)
	out := filepath.Join(t.TempDir(), "x.npy")
	cases := []struct {
		env  string
		args []string
		code int
		want string
	}{
		{"", []string{"why", "x:y@@"}, 2, `malformed REF "x:y@@": cell "@"`},
		{"", []string{"export", ":::", "-o", out}, 2, `malformed REF ":::"`},
		{"", []string{"diff", "x:y", "x:y@"}, 2, `malformed REF "x:y@"`},
		{"", []string{"why", "abc12"}, 2, "digest prefix abc12: want 6 to 64 hex digits"},
		{"", []string{"verify", "x:@a=1"}, 2, `malformed REF "x:@a=1"`},
		{"", []string{"why", "nosuch:stage"}, 1, "nosuch"},
		{"EIGENLAB_DB_TIMEOUT=soon", []string{"ls"}, 2, `EIGENLAB_DB_TIMEOUT="soon": want a positive duration`},
	}
	for _, c := range cases {
		cmd := s.cmd(c.args...)
		if c.env != "" {
			cmd.Env = append(cmd.Env, c.env)
		}
		got, code := exitOf(t, cmd)
		if code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("%s %v: exit %d, want %d with %q:\n%s", c.env, c.args, code, c.code, c.want, got)
		}
	}
}

// A panic, the runtime's or eigenlab's own, is an internal error: exit 3
// (never 2, which means invalid input) and one line naming the file that
// holds the stack.
func TestPanicIsAnInternalError(t *testing.T) {
	cases := map[string]func() error{
		"explicit": func() error { panic("boom") },
		"nil map":  func() error { var m map[string]int; m["x"] = 1; return nil },
		"index":    func() error { return []error{}[len(os.Args)] },
	}
	for name, fn := range cases {
		err := safely(fn)
		if code := exitCode(err); code != exitInternal {
			t.Errorf("%s: exit %d, want %d (%v)", name, code, exitInternal, err)
			continue
		}
		msg := err.Error()
		log := msg[strings.LastIndex(msg, " ")+1:]
		stack, rerr := os.ReadFile(log)
		if strings.Contains(msg, "\n") || rerr != nil || !strings.Contains(string(stack), ".safely") {
			t.Errorf("%s: message %q; want one line naming a log with the stack (%v)", name, msg, rerr)
		}
		os.Remove(log)
	}
}

// holdWriteLock takes the database's write lock from another connection
// until the test ends.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.ExecContext(ctx, "ROLLBACK"); conn.Close(); db.Close() })
}

// While another process holds the write lock, the read-only commands
// answer at once; a run waits EIGENLAB_DB_TIMEOUT and fails saying why.
func TestReadCommandsWhileTheWriteLockIsHeld(t *testing.T) {
	s := newState(t)
	exp := tinySweep(t, s.dir)
	if out, code := s.run(t, "run", exp); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	holdWriteLock(t, filepath.Join(s.dir, "provenance.db"))
	ref := "tiny:spec.alpha@seed=1"
	for _, args := range [][]string{
		{"ls"}, {"why", ref}, {"diff", "tiny:spec.alpha@seed=0", ref},
		{"export", ref, "-o", filepath.Join(t.TempDir(), "a.npy")},
		{"export", "--cited", "tiny", "-o", filepath.Join(t.TempDir(), "c.csv")},
		{"plan", exp}, {"report", exp, "-o", filepath.Join(t.TempDir(), "r")},
	} {
		c := s.cmd(args...)
		c.Env = append(c.Env, "EIGENLAB_DB_TIMEOUT=3s")
		start := time.Now()
		out, code := exitOf(t, c)
		if code != 0 || time.Since(start) > 10*time.Second {
			t.Errorf("%v under a write lock: exit %d after %s\n%s", args, code, time.Since(start), out)
		}
	}
	c := s.cmd("run", exp, "--set", "seed=[2]")
	c.Env = append(c.Env, "EIGENLAB_DB_TIMEOUT=1s")
	out, code := exitOf(t, c)
	if code != 1 || !strings.Contains(out, "held the database's write lock for over 1s") {
		t.Errorf("run under a write lock: exit %d, want 1 saying the lock was held too long\n%s", code, out)
	}
}

// EIGENLAB_DB with '#', '?' and '%' is the file written, not a path cut
// at the '#' or '?'.
func TestDatabasePathWithURICharacters(t *testing.T) {
	s := newState(t)
	path := filepath.Join(s.dir, "a#b?c%41 d.db")
	c := s.cmd("run", tinySweep(t, s.dir))
	c.Env = append(c.Env, "EIGENLAB_DB="+path)
	if out, code := exitOf(t, c); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if e.Name() != "cache" && e.Name() != "tiny-sweep.yaml" && !strings.HasPrefix(e.Name(), "a#b?c%41 d.db") {
			t.Errorf("wrote %s, not %s", e.Name(), filepath.Base(path))
		}
	}
	c = s.cmd("ls")
	c.Env = append(c.Env, "EIGENLAB_DB="+path)
	if out, code := exitOf(t, c); code != 0 || !strings.Contains(out, "tiny") {
		t.Errorf("ls: exit %d, want the run listed\n%s", code, out)
	}
}

// asUnprivileged makes c run as nobody when the tests run as root, who
// ignores file permissions; the binary's directory is opened to it.
func asUnprivileged(t *testing.T, c *exec.Cmd, dirs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("running as another user is set up for Linux only")
	}
	for _, d := range append(dirs, filepath.Dir(binary)) {
		for ; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
			os.Chmod(d, 0o755)
		}
	}
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// A database in a directory this user cannot write: a run fails naming
// the directory and the permission problem (once, "no such file or
// directory"); the read-only commands still read it.
func TestDatabaseInReadOnlyDirectory(t *testing.T) {
	s := newState(t)
	exp := tinySweep(t, s.dir)
	if out, code := s.run(t, "run", exp); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	dbDir := filepath.Join(s.dir, "ro")
	if err := os.Mkdir(dbDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(s.dir, "provenance.db"), filepath.Join(dbDir, "p.db")); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(filepath.Join(s.dir, "cache"), func(p string, _ os.DirEntry, _ error) error { return os.Chmod(p, 0o777) })
	os.Chmod(dbDir, 0o555)
	t.Cleanup(func() { os.Chmod(dbDir, 0o755) })
	for _, c := range []struct {
		db   string
		args []string
		code int
		want string
	}{
		{"p.db", []string{"ls"}, 0, "tiny"},
		{"p.db", []string{"why", "tiny:spec.alpha@seed=0"}, 0, "tiny:data@seed=0"},
		{"p.db", []string{"run", exp}, 1, "directory " + dbDir + " is not writable by this user (permission denied)"},
		{"new.db", []string{"run", exp}, 1, "directory " + dbDir + " is not writable by this user (permission denied)"},
	} {
		cmd := s.cmd(c.args...)
		cmd.Env = append(cmd.Env, "EIGENLAB_DB="+filepath.Join(dbDir, c.db))
		asUnprivileged(t, cmd, s.dir)
		out, code := exitOf(t, cmd)
		if code != c.code || !strings.Contains(out, c.want) || strings.Contains(out, "no such file") {
			t.Errorf("%s %v: exit %d, want %d with %q\n%s", c.db, c.args, code, c.code, c.want, out)
		}
	}
}
