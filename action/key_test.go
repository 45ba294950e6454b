package action

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/internal/regular"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// fake is a stage whose version and file param the tests set; it is
// never registered or run.
type fake struct{ version string }

func (f fake) Kind() string    { return "test_action" }
func (f fake) Version() string { return f.version }
func (fake) Doc() string       { return "" }
func (fake) Params() []stages.ParamSpec {
	return []stages.ParamSpec{{Name: "n", Type: stages.Int}, {Name: "path", Type: stages.String, File: true}}
}
func (fake) Inputs() []stages.InputSpec               { return []stages.InputSpec{{Name: "x"}} }
func (fake) Outputs(stages.Params) []string           { return []string{"y"} }
func (fake) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (fake) Run(context.Context, *ndarray.Scratch, stages.Inputs, stages.Params) (stages.Outputs, error) {
	return nil, nil
}

// Every part of an action's description enters its key, and Changes names
// the one line that moved.
func TestEveryPartEntersTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(version string, n int, x byte) (cache.ActionKey, string) {
		t.Helper()
		key, text, err := Key(fake{version}, stages.Params{"n": n, "path": path}, map[string]ndarray.Digest{"x": {x}})
		if err != nil {
			t.Fatal(err)
		}
		return key, text
	}
	write("a")
	key, text := describe("1", 5, 1)
	for _, tc := range []struct {
		name  string
		edit  func() (cache.ActionKey, string)
		lines []string // the reasons Reasons gives, nil when the key is the same
	}{
		{"nothing", func() (cache.ActionKey, string) { return describe("1", 5, 1) }, nil},
		{"version", func() (cache.ActionKey, string) { return describe("2", 5, 1) }, []string{"version changed: 1 -> 2"}},
		{"param", func() (cache.ActionKey, string) { return describe("1", 6, 1) }, []string{"param n changed: 5 -> 6"}},
		{"input", func() (cache.ActionKey, string) { return describe("1", 5, 2) }, []string{"input x changed: 010000000000 -> 020000000000"}},
		{"file", func() (cache.ActionKey, string) { write("b"); defer write("a"); return describe("1", 5, 1) },
			[]string{"file path changed: ca978112ca1b -> 3e23e8160039"}},
	} {
		k, txt := tc.edit()
		got := Reasons(key.String(), text, k, txt)
		if !slices.Equal(got, tc.lines) {
			t.Errorf("%s: reasons %q, want %q", tc.name, got, tc.lines)
		}
	}
	if _, _, err := Key(fake{"1"}, stages.Params{"n": 5, "path": path + ".gone"}, nil); err == nil {
		t.Error("a missing file param gave a key")
	}
}

// TestKeyNonRegularFile: a file param naming a device or a FIFO fails the
// key by name, promptly, instead of hashing forever or blocking.
func TestKeyNonRegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.npy")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		done := make(chan error, 1)
		go func() {
			_, _, err := Key(fake{"1"}, stages.Params{"n": 1, "path": path}, nil)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, regular.ErrNotRegular) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v, want ErrNotRegular naming the file", path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: still hashing after 5 s", path)
		}
	}
}

// An action's key never changes while its description does not: a change
// of how values are written or hashed would recompute every user's cache.
// The golden was computed by the key code of 2026-12; param values of every
// type, with the awkward ones (integral and huge floats, NaN, escapes).
func TestKeyIsStable(t *testing.T) {
	p := stages.Params{
		"n": 5, "neg": -12, "on": true, "off": false,
		"f": 1.0, "g": 0.1, "h": -2.5e-7, "big": 1e15, "huge": 1e21, "nan": math.NaN(), "inf": math.Inf(-1), "negzero": math.Copysign(0, -1),
		"fl": []float64{1, 0.25, 3e30}, "il": []int{2, 30, -1}, "sl": []string{"a", `q"t`, "é\n"},
		"s": "stringer", "esc": "tab\there \\ \x00",
	}
	key, text, err := Key(fake{"7"}, p, map[string]ndarray.Digest{"x": {1, 2}, "a": {3}})
	if err != nil {
		t.Fatal(err)
	}
	const want = "c886f20a08fb581184fbdbbaecf102ac4845a24b43778a1262da44fdc6bfd45a"
	if key.String() != want {
		t.Errorf("key %s, want %s; key text:\n%s", key, want, text)
	}
}
