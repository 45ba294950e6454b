package results

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
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
	tests := []struct {
		info *debug.BuildInfo
		want Code
	}{
		{nil, Code{"unknown", "unknown", false}},
		{&debug.BuildInfo{}, Code{"unknown", "unknown", false}},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Code{"(devel)", "unknown", false}},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}},
			Code{"v0.3.0", "0123abcd", true}},
	}
	for _, tc := range tests {
		if got := codeFrom(tc.info, tc.info != nil); got != tc.want {
			t.Errorf("codeFrom(%+v) = %+v, want %+v", tc.info, got, tc.want)
		}
	}
	if c := CodeVersion(); c.Version == "" || c.Revision == "" {
		t.Errorf("CodeVersion() = %+v: empty fields should read unknown", c)
	}
}
