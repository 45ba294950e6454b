package stagetest

import (
	"bufio"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite "+pinPath+" with the current output digests (after a version bump)")

// pinPath holds the pinned digests: one line per output,
// "<row> <version> <output> <sha256>".
const pinPath = "testdata/pins.txt"

// rowPins are a row's output digests and the stage version (VersionOf)
// that produced them.
type rowPins struct {
	version string
	digests map[string]string // output name → hex digest
}

// pinFile holds the pins of every row by row name.
type pinFile map[string]rowPins

// readPins reads pinPath; a missing file is empty (the first -update
// writes it).
func readPins(t *testing.T) pinFile {
	t.Helper()
	pins := pinFile{}
	f, err := os.Open(pinPath)
	if os.IsNotExist(err) && *update {
		return pins
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			t.Fatalf("%s:%d: %q: want <row> <version> <output> <sha256>", pinPath, n, line)
		}
		row, version, output, digest := fields[0], fields[1], fields[2], fields[3]
		rp, ok := pins[row]
		if !ok {
			rp = rowPins{version: version, digests: map[string]string{}}
		}
		if rp.version != version {
			t.Fatalf("%s:%d: row %s pinned at versions %s and %s", pinPath, n, row, rp.version, version)
		}
		rp.digests[output] = digest
		pins[row] = rp
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", pinPath, err)
	}
	return pins
}

// comparePins fails unless cur, row name's digests now, equals its pins.
func comparePins(t *testing.T, name string, pinned, cur rowPins) {
	t.Helper()
	if *update {
		return
	}
	const rerun = "go test ./stages/stagetest -run TestConformance -update"
	kind, _, _ := strings.Cut(name, "/")
	switch {
	case pinned.digests == nil:
		t.Errorf("stage %s has no pinned digests in %s: run %s", name, pinPath, rerun)
		return
	case pinned.version != cur.version:
		t.Errorf("stage %s is at version %s but its digests are pinned for version %s: run %s to re-pin", name, cur.version, pinned.version, rerun)
		return
	}
	for _, out := range slices.Sorted(maps.Keys(cur.digests)) {
		switch old, ok := pinned.digests[out]; {
		case !ok:
			t.Errorf("output %s of stage %s has no pinned digest: run %s", out, name, rerun)
		case old != cur.digests[out] && pinPlatform != "":
			t.Logf("output %s of stage %s differs from its pin, which holds on the reference platform (%s), not on %s", out, name, pinCore, pinPlatform)
		case old != cur.digests[out]:
			t.Errorf("output %s of stage %s changed without a version bump: bump Version() (or the load source's Version) and run with -update to re-pin "+
				"(%s version %s; digest %s, pinned %s)", out, name, kind, cur.version, cur.digests[out], old)
		}
	}
	for out := range pinned.digests {
		if _, ok := cur.digests[out]; !ok {
			t.Errorf("pinned output %s of stage %s is no longer produced: run %s", out, name, rerun)
		}
	}
}

// writePins rewrites pinPath with cur, keeping the pins of rows that did
// not run (skipped, or left out by -run).
func writePins(t *testing.T, old, cur pinFile) {
	t.Helper()
	if pinPlatform != "" {
		t.Fatalf("not re-pinning on %s: the pins are of the reference platform (%s on %d CPUs)", pinPlatform, pinCore, pinCPUs)
	}
	all := maps.Clone(old)
	maps.Copy(all, cur)
	var b strings.Builder
	b.WriteString("# Pinned output digests of the stage conformance suite (stages/stagetest):\n" +
		"# <row> <stage version> <output> <sha256 of the artifact>. Rewrite with\n" +
		"# go test ./stages/stagetest -run TestConformance -update, after bumping the version.\n")
	for _, row := range slices.Sorted(maps.Keys(all)) {
		rp := all[row]
		for _, out := range slices.Sorted(maps.Keys(rp.digests)) {
			fmt.Fprintf(&b, "%s %s %s %s\n", row, rp.version, out, rp.digests[out])
		}
	}
	if err := os.WriteFile(pinPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
