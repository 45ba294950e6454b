package action

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/cache"
)

// Reasons says why a recorded action (its key in hex and its key text, as
// the provenance database holds them) is not the action with key and
// text: the Changes between the texts. It is nil when the keys are equal,
// and names the key scheme when only the hash differs.
func Reasons(recordedKey, recordedText string, key cache.ActionKey, text string) []string {
	if key.String() == recordedKey {
		return nil
	}
	if r := Changes(recordedText, text); len(r) > 0 {
		return r
	}
	return []string{"same key lines, another hash: recorded under an older key scheme"}
}

// Changes names the key lines that differ between an old key text and a
// current one (both as Key returns them), one reason per line name in
// name order: "version changed: 2 -> 3", "param n changed: 80 -> 90",
// "file path changed: <old hash> -> <new hash>", "input x added: <digest>",
// "param q removed (was 1)". Digests are shortened to 12 hex digits. It is
// empty when the texts describe the same action.
func Changes(old, cur string) []string {
	before, after := fields(old), fields(cur)
	names := maps.Clone(before)
	maps.Copy(names, after)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(names)) {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("%s added: %s", k, short(a)))
		case !inA:
			out = append(out, fmt.Sprintf("%s removed (was %s)", k, short(b)))
		case a != b:
			out = append(out, fmt.Sprintf("%s changed: %s -> %s", k, short(b), short(a)))
		}
	}
	return out
}

// fields splits key lines such as "param alpha=1.0" or "input x=<hex>"
// into "param alpha" -> "1.0", and "version 3" into "version" -> "3".
func fields(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		kind, rest, _ := strings.Cut(line, " ")
		name, value, found := strings.Cut(rest, "=")
		if !found {
			m[kind] = rest
			continue
		}
		m[kind+" "+name] = value
	}
	return m
}

// short abbreviates 64-digit digests to 12 digits.
func short(v string) string {
	if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:12]
	}
	return v
}
