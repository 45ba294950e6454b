package ndarray

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Record is a small JSON-encodable artifact: strings and metadata that are
// not arrays (which estimator was used, a model's architecture).
type Record map[string]any

// Canonical returns the canonical JSON encoding: keys sorted, numbers in
// their shortest round-trip form (encoding/json's behaviour for maps).
func (r Record) Canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any(r)); err != nil {
		panic(fmt.Sprintf("ndarray: record is not JSON-encodable: %v", err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Digest is the canonical digest of the record (DigestRecord).
func (r Record) Digest() Digest { return DigestRecord(r.Canonical()) }

// Describe is a short human form: "record{...}", the canonical JSON.
func (r Record) Describe() string { return "record" + string(r.Canonical()) }
