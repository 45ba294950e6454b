package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/stages"
)

// actionKey describes one stage execution completely as readable lines and
// hashes them. Anything new that can change a stage's outputs must be added
// here, or the cache will serve stale results.
//
// Inputs enter by the digest of their content, not by the key of the stage
// that made them: a recomputed input with unchanged values leaves this key
// unchanged (early cutoff).
func actionKey(n *node, inputs map[string]cache.Digest) (cache.ActionKey, string, error) {
	var b cache.KeyBuilder
	b.Line("kind %s", n.inst.Kind)
	b.Line("version %s", stages.VersionOf(n.inst.Stage, n.inst.Params))
	for _, line := range n.inst.Params.Canonical() {
		b.Line("param %s", line)
	}
	for _, spec := range n.inst.Stage.Params() {
		if !spec.File || !n.inst.Params.Has(spec.Name) {
			continue
		}
		sum, err := hashPath(n.inst.Params.String(spec.Name))
		if err != nil {
			return cache.ActionKey{}, "", fmt.Errorf("param %q: %w", spec.Name, err)
		}
		b.Line("file %s=%s", spec.Name, sum)
	}
	names := make([]string, 0, len(inputs))
	for name := range inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b.Line("input %s=%s", name, inputs[name])
	}
	return b.Key(), b.Text(), nil
}

// hashPath hashes a file's bytes, or every regular file under a folder
// (relative names and bytes, in sorted order).
func hashPath(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !info.IsDir() {
		if err := hashFile(h, path); err != nil {
			return "", err
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		fmt.Fprintf(h, "%s\x00", rel)
		return hashFile(h, p)
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// seedOf returns the "seed" parameter if the stage has one.
func seedOf(p stages.Params) *int {
	if v, ok := p["seed"].(int); ok {
		return &v
	}
	return nil
}
