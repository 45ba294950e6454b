package results

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// CodeVersion identifies the running eigenlab build from the information
// the Go toolchain stamps into it (`go build -buildvcs=auto`, which the
// Makefile uses): module version, VCS revision and whether the tree was
// modified. A build without VCS stamps says "unknown".
func CodeVersion() Code {
	return codeFrom(debug.ReadBuildInfo())
}

func codeFrom(info *debug.BuildInfo, ok bool) Code {
	c := Code{Version: "unknown", Revision: "unknown"}
	if !ok {
		return c
	}
	if info.Main.Version != "" {
		c.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			c.Revision = s.Value
		case "vcs.modified":
			c.Modified = s.Value == "true"
		}
	}
	return c
}

// Environment is the numerical fingerprint of this machine: what can make
// the same code give different floating-point results.
func Environment(blasBackend string) map[string]string {
	env := map[string]string{
		"go":                   runtime.Version(),
		"os_arch":              runtime.GOOS + "/" + runtime.GOARCH,
		"gomaxprocs":           strconv.Itoa(runtime.GOMAXPROCS(0)),
		"num_cpu":              strconv.Itoa(runtime.NumCPU()),
		"blas":                 blasBackend,
		"openblas_coretype":    os.Getenv("OPENBLAS_CORETYPE"),
		"openblas_num_threads": os.Getenv("OPENBLAS_NUM_THREADS"),
	}
	model, flags := cpuInfo()
	env["cpu_model"], env["cpu_flags"] = model, flags
	return env
}

// cpuInfo reads the CPU model and the SIMD flags that change numerics.
func cpuInfo() (model, flags string) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH, ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		case "flags":
			if flags == "" {
				flags = simdFlags(strings.Fields(v))
			}
		}
	}
	return model, flags
}

func simdFlags(all []string) string {
	var keep []string
	for _, f := range all {
		if f == "fma" || f == "sha_ni" || strings.HasPrefix(f, "avx") || strings.HasPrefix(f, "sse4") {
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}
