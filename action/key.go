// Package action is the one rule that says whether a result is current: it
// describes a stage execution completely as the readable lines of its
// action key (DESIGN "Action key", like buildActionID in Go's cmd/go) and
// hashes them. The runner asks it before serving a result from the cache,
// `eigenlab plan` to say why a stage would rerun, `eigenlab verify` to
// refuse a result this build cannot reproduce, and the report to leave out
// a result the YAML no longer gives; none of them may describe an action in
// another way.
//
// It imports stages (versions, params) and cache (the key type) and
// nothing else of the project, so runner and results may both import it.
package action

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/internal/regular"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// Key describes running stage st with params p on inputs (the digests of
// the input artifacts by input name) as readable lines, and returns their
// hash and the lines. The lines are: the stage kind; its version for p
// (stages.VersionOf: the load stage's is that of its source); every
// canonical param; the content hash of every file param (a file's bytes,
// or a folder's file names and bytes), so an edited file is a new action;
// every input digest. Anything new that can change a stage's outputs must
// be added here, or stale results will be served and reported as current.
//
// Inputs enter by the digest of their content, not by the key of the stage
// that made them: a recomputed input with unchanged values leaves this key
// unchanged (early cutoff). Key fails only when a file param cannot be
// read.
func Key(st stages.Stage, p stages.Params, inputs map[string]ndarray.Digest) (cache.ActionKey, string, error) {
	return KeyLines(st, p, p.Canonical(), inputs)
}

// KeyLines is Key for a caller that holds p's canonical lines already
// (experiments.Instance.ParamLines): paramLines must be p.Canonical().
func KeyLines(st stages.Stage, p stages.Params, paramLines []string, inputs map[string]ndarray.Digest) (cache.ActionKey, string, error) {
	var b cache.KeyBuilder
	b.Add("kind", st.Kind())
	b.Add("version", stages.VersionOf(st, p))
	for _, line := range paramLines {
		b.Add("param", line)
	}
	for _, name := range fileParams(st) {
		if !p.Has(name) {
			continue
		}
		sum, err := hashPath(p.String(name))
		if err != nil {
			return cache.ActionKey{}, "", fmt.Errorf("file param %q: %w", name, err)
		}
		b.Add("file", name+"="+sum)
	}
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		b.Add("input", name+"="+inputs[name].String())
	}
	return b.Key(), b.Text(), nil
}

// fileParams names the file params of a stage kind, in spec order. A
// kind's specs never change, so they are read once per kind: a sweep asks
// for the key of every cell, and the load stage's specs are long.
func fileParams(st stages.Stage) []string {
	if names, ok := fileParamsByKind.Load(st.Kind()); ok {
		return names.([]string)
	}
	var names []string
	for _, spec := range st.Params() {
		if spec.File {
			names = append(names, spec.Name)
		}
	}
	fileParamsByKind.Store(st.Kind(), names)
	return names
}

var fileParamsByKind sync.Map // stage kind → []string

// hashPath hashes a file's bytes, or every regular file under a folder
// (relative names and bytes, in sorted order).
func hashPath(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if !info.IsDir() {
		if _, err := regular.Stat(path); err != nil {
			return "", err // a FIFO would block, a device never end
		}
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
