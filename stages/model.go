package stages

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn"
)

// Model is a network as an artifact: its layer graph (nn.Arch) and its
// weights by name, "<node>/<param>" with the layouts documented on nn.Node.
// Weights are float32 (imported networks) or float64 (eigenlab's own
// initialisations, whose spectra are exact to double precision).
//
// Its blob form is a .npz that numpy reads: an entry "__arch__.json" with
// the canonical arch JSON (np.load(f)["__arch__.json"] gives the bytes),
// then one "<weight>.npy" per weight, uncompressed, in name order.
type Model struct {
	Arch    nn.Arch
	Weights map[string]*ndarray.Array
}

// archEntry is the name of the architecture inside a model's .npz.
const archEntry = "__arch__.json"

// AsModel returns the artifact as a model.
func AsModel(a Artifact) (*Model, error) {
	m, ok := a.(*Model)
	if !ok {
		return nil, fmt.Errorf("artifact is %s, not a model", a.Describe())
	}
	return m, nil
}

// Model returns input name as a model, with an error naming the input if
// it is missing or not a model.
func (in Inputs) Model(name string) (*Model, error) {
	a, ok := in[name]
	if !ok {
		return nil, fmt.Errorf("input %q is missing", name)
	}
	m, err := AsModel(a)
	if err != nil {
		return nil, fmt.Errorf("input %q: %w (connect it to a powerlaw_init or model-loading stage)", name, err)
	}
	return m, nil
}

// canonicalArch is the arch's JSON: encoding/json writes struct fields in
// declaration order and numbers in shortest round-trip form, so equal
// graphs give equal bytes and decoding then re-encoding is the identity.
func (m *Model) canonicalArch() []byte {
	b, err := json.Marshal(m.Arch)
	if err != nil {
		panic(fmt.Sprintf("stages: arch is not JSON-encodable: %v", err))
	}
	return b
}

func (m *Model) names() []string {
	names := make([]string, 0, len(m.Weights))
	for n := range m.Weights {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Digest implements Artifact: SHA-256 of a domain tag, the canonical arch
// JSON and the sorted (weight name, array digest) list, each field
// length-prefixed, so it depends on content only (not on map order or on
// the container file) and cannot collide with an array or record digest.
func (m *Model) Digest() ndarray.Digest {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte("eigenlab-model-v1"))
	field(m.canonicalArch())
	for _, name := range m.names() {
		d := m.Weights[name].Digest()
		field([]byte(name))
		field(d[:])
	}
	var d ndarray.Digest
	copy(d[:], h.Sum(nil))
	return d
}

// Describe implements Artifact.
func (m *Model) Describe() string {
	params := 0
	for _, w := range m.Weights {
		params += w.Len()
	}
	return fmt.Sprintf("model %s{%d nodes, %d weights, %d parameters}", m.Arch.Name, len(m.Arch.Nodes), len(m.Weights), params)
}

// Net compiles the model for h×w images (nn.Compile), checking every
// weight's dtype and shape against the graph. Given layers, it compiles
// only the part of the graph they depend on (nn.Arch.Prune): less work,
// and a network's convolutional part then runs on images of any size.
func (m *Model) Net(h, w int, layers ...string) (*nn.Net, error) {
	arch := &m.Arch
	if layers != nil {
		var err error
		if arch, err = arch.Prune(layers); err != nil {
			return nil, err
		}
	}
	kept := map[string]bool{}
	for _, n := range arch.Nodes {
		kept[n.Name] = true
	}
	ws := make(map[string]nn.Tensor, len(m.Weights))
	for name, a := range m.Weights {
		if node, _, _ := strings.Cut(name, "/"); !kept[node] {
			continue
		}
		if a.DType() == ndarray.Int64 {
			return nil, fmt.Errorf("model %q: weight %q is %s; want float32 or float64", m.Arch.Name, name, a.Describe())
		}
		ws[name] = nn.Tensor{Shape: a.Shape, Data: a.Float64s()}
	}
	return nn.Compile(arch, ws, h, w)
}

// NewModel wraps an architecture and float64 weights from package nn as a
// model artifact, sharing their storage.
func NewModel(a *nn.Arch, ws map[string]nn.Tensor) *Model {
	m := &Model{Arch: *a, Weights: make(map[string]*ndarray.Array, len(ws))}
	for name, t := range ws {
		m.Weights[name] = &ndarray.Array{Shape: t.Shape, F64: t.Data}
	}
	return m
}

// writeModel writes the .npz blob form: stored entries with zero
// timestamps, so equal models give equal bytes.
func writeModel(w io.Writer, m *Model) error {
	z := zip.NewWriter(w)
	entry := func(name string) (io.Writer, error) {
		return z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	}
	f, err := entry(archEntry)
	if err != nil {
		return err
	}
	if _, err := f.Write(m.canonicalArch()); err != nil {
		return err
	}
	for _, name := range m.names() {
		f, err := entry(name + ".npy")
		if err != nil {
			return err
		}
		if err := ndarray.WriteNPY(f, m.Weights[name]); err != nil {
			return fmt.Errorf("weight %q: %w", name, err)
		}
	}
	return z.Close()
}

// readModel decodes the .npz blob form of a model.
func readModel(r io.Reader) (*Model, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, fmt.Errorf("model is not a valid .npz archive: %w", err)
	}
	m := &Model{Weights: map[string]*ndarray.Array{}}
	sawArch := false
	for _, f := range z.File {
		if err := m.readEntry(f, int64(len(raw)), &sawArch); err != nil {
			return nil, fmt.Errorf("model entry %q: %w", f.Name, err)
		}
	}
	if !sawArch {
		return nil, fmt.Errorf("model .npz has no %s entry; want one written by eigenlab", archEntry)
	}
	return m, nil
}

// readEntry reads entry f of a model blob of archiveSize bytes: the
// architecture or one weight.
func (m *Model) readEntry(f *zip.File, archiveSize int64, sawArch *bool) error {
	weight, isWeight := strings.CutSuffix(f.Name, ".npy")
	if f.Name != archEntry && !isWeight {
		return fmt.Errorf("want %s or <weight>.npy", archEntry)
	}
	r, size, err := ndarray.OpenNPZEntry(f, archiveSize)
	if err != nil {
		return err
	}
	defer r.Close()
	if !isWeight {
		dec := json.NewDecoder(r)
		dec.DisallowUnknownFields()
		*sawArch = true
		return dec.Decode(&m.Arch)
	}
	a, err := ndarray.ReadNPY(r, size)
	if err != nil {
		return err
	}
	m.Weights[weight] = a
	return nil
}
