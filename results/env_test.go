package results

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestEnvironment(t *testing.T) {
	t.Setenv("OPENBLAS_NUM_THREADS", "3")
	env := Environment("openblas")
	want := map[string]string{
		"go":                   runtime.Version(),
		"os_arch":              runtime.GOOS + "/" + runtime.GOARCH,
		"gomaxprocs":           strconv.Itoa(runtime.GOMAXPROCS(0)),
		"num_cpu":              strconv.Itoa(runtime.NumCPU()),
		"blas":                 "openblas",
		"openblas_num_threads": "3",
		"openblas_coretype":    os.Getenv("OPENBLAS_CORETYPE"),
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if _, err := os.Stat("/proc/cpuinfo"); err == nil && env["cpu_model"] == "" {
		t.Errorf("no cpu_model read from /proc/cpuinfo: %v", env)
	}
	if len(env) != len(want)+2 {
		t.Errorf("env has %d keys, want %d: %v", len(env), len(want)+2, env)
	}
}

func TestSIMDFlags(t *testing.T) {
	got := simdFlags([]string{"fpu", "sse4_1", "sse4_2", "avx", "avx2", "fma", "avx512f", "sha_ni", "ht"})
	if want := "sse4_1 sse4_2 avx avx2 fma avx512f sha_ni"; got != want {
		t.Errorf("simdFlags = %q, want %q", got, want)
	}
}

func TestCodeVersion(t *testing.T) {
	const bin = "sha256:00ff"
	clean := []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}}
	dirty := append(clean, debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	tests := []struct {
		info   *debug.BuildInfo
		binary string // the executable's digest, "" if unreadable
		want   Code
	}{
		{nil, bin, Code{"unknown", bin, false}},
		{nil, "", Code{"unknown", "unknown", false}},
		{&debug.BuildInfo{}, bin, Code{"unknown", bin, false}},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, bin, Code{"(devel)", bin, false}},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: clean}, bin, Code{"v0.3.0", "0123abcd", false}},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: dirty}, bin, Code{"v0.3.0", "0123abcd+" + bin, true}},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: dirty}, "", Code{"v0.3.0", "0123abcd", true}},
	}
	for _, tc := range tests {
		if got := codeFrom(tc.info, tc.info != nil, func() string { return tc.binary }); got != tc.want {
			t.Errorf("codeFrom(%+v, binary %q) = %+v, want %+v", tc.info, tc.binary, got, tc.want)
		}
	}
}

// A test binary has no VCS stamps, so its runs are named by the SHA-256 of
// the executable itself.
func TestCodeVersionNamesAnUnstampedBinaryByItsDigest(t *testing.T) {
	if info, ok := debug.ReadBuildInfo(); ok && slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool { return s.Key == "vcs.revision" }) {
		t.Skip("this test binary is stamped with a VCS revision")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Skip(err)
	}
	want := fmt.Sprintf("sha256:%x", sha256.Sum256(b))
	if c := CodeVersion(); c.Revision != want {
		t.Errorf("CodeVersion() = %+v, want revision %s (the executable's digest)", c, want)
	}
}

func TestShortCode(t *testing.T) {
	hex := strings.Repeat("0123456789", 7)
	for _, tc := range []struct {
		c    Code
		want string
	}{
		{Code{Revision: hex}, "012345678901"},
		{Code{Revision: "sha256:" + hex}, "sha256:012345678901"},
		{Code{Revision: hex + "+sha256:" + hex, Modified: true}, "012345678901+sha256:012345678901 (modified)"},
		{Code{Revision: "unknown"}, "unknown"},
	} {
		if got := shortCode(tc.c); got != tc.want {
			t.Errorf("shortCode(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}
