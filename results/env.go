package results

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// CodeVersion identifies the running eigenlab build from the information
// the Go toolchain stamps into it (`go build -buildvcs=auto`, which the
// Makefile uses): module version, VCS revision and whether the tree was
// modified. Where the revision does not name the exact code, the SHA-256
// of the running executable does: a build without VCS stamps has the
// revision "sha256:<hex>", and one from a modified tree
// "<revision>+sha256:<hex>". Only if the executable cannot be read is the
// revision "unknown". It is computed once per process.
func CodeVersion() Code {
	codeOnce.Do(func() {
		info, ok := debug.ReadBuildInfo()
		code = codeFrom(info, ok, executableDigest)
	})
	return code
}

var (
	codeOnce sync.Once
	code     Code
)

// binaryPrefix starts a revision that is the digest of the executable.
const binaryPrefix = "sha256:"

// codeFrom reads the build info; binary names the executable by its
// digest, or returns "" if it cannot.
func codeFrom(info *debug.BuildInfo, ok bool, binary func() string) Code {
	c := Code{Version: "unknown", Revision: "unknown"}
	if ok {
		c.Version = cmp.Or(info.Main.Version, c.Version)
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				c.Revision = s.Value
			case "vcs.modified":
				c.Modified = s.Value == "true"
			}
		}
	}
	if c.Revision != "unknown" && !c.Modified {
		return c // the revision names the code
	}
	switch d := binary(); {
	case d == "":
		// Unreadable: keep the revision, marked modified, or unknown.
	case c.Revision == "unknown":
		c.Revision = d
	default:
		c.Revision += "+" + d
	}
	return c
}

// executableDigest is the SHA-256 of the running executable as
// "sha256:<hex>", or "" if it cannot be read.
func executableDigest() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return binaryPrefix + hex.EncodeToString(h.Sum(nil))
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
