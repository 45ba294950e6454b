package ndarray

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/internal/regular"
)

// Reading .npy and .npz from untrusted bytes. Every .npy header, whoever
// reads it (the npy and npz sources, the cache's decoder and verifier, the
// streaming ArrayFile, model blobs), goes through readNPYHeader, which
// checks the claimed shape against the bytes that are really there before
// anything is allocated from it: no negative dimension, no overflow of
// elements × item size, and a payload of exactly that many bytes. A
// hand-edited shape of (2**62, 4) or (100000000, 100000000) is then an
// error naming the shape and the file's real size, not a panic, an
// out-of-memory crash or an absurd array accepted into the cache.

// npyMagic opens every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds a header's length (numpy's own are a few hundred
// bytes; version 2 could claim 4 GiB).
const maxNPYHeader = 1 << 20

// maxNPYRank is numpy's limit on the number of dimensions (NPY_MAXDIMS).
const maxNPYRank = 64

// unknownSize is the size given to readNPYHeader for a stream whose length
// is not known; its caller must then read exactly the payload the header
// claims without allocating from the claim (DigestArtifact hashes it).
const unknownSize = -1

// npyType is a numpy dtype string eigenlab reads: kept as one of the three
// dtypes of an Array (read in place), or an integer or bool type widened
// to int64.
type npyType struct {
	keep  DType // "" when widened
	size  int64 // bytes per element
	widen func([]byte) int64
}

var npyTypes = map[string]npyType{
	"<f4": {keep: Float32, size: 4}, "|f4": {keep: Float32, size: 4},
	"<f8": {keep: Float64, size: 8}, "|f8": {keep: Float64, size: 8},
	"<i8": {keep: Int64, size: 8}, "|i8": {keep: Int64, size: 8},
	"|b1": {size: 1, widen: func(b []byte) int64 { return int64(min(b[0], 1)) }},
	"|u1": {size: 1, widen: func(b []byte) int64 { return int64(b[0]) }},
	"|i1": {size: 1, widen: func(b []byte) int64 { return int64(int8(b[0])) }},
	"<u2": {size: 2, widen: func(b []byte) int64 { return int64(binary.LittleEndian.Uint16(b)) }},
	"<i2": {size: 2, widen: func(b []byte) int64 { return int64(int16(binary.LittleEndian.Uint16(b))) }},
	"<u4": {size: 4, widen: func(b []byte) int64 { return int64(binary.LittleEndian.Uint32(b)) }},
	"<i4": {size: 4, widen: func(b []byte) int64 { return int64(int32(binary.LittleEndian.Uint32(b))) }},
}

// npyHead is a .npy header that readNPYHeader has checked.
type npyHead struct {
	descr   string // numpy's dtype string, a key of npyTypes
	typ     npyType
	shape   []int
	offset  int64 // length of the header: where the payload starts
	payload int64 // elements × item size, exact (no overflow)
}

// String is the array as errors name it: <f4 (3, 4).
func (h npyHead) String() string { return h.descr + " " + NumpyShape(h.shape) }

// readNPYHeader reads the header at the start of r, a .npy stream of size
// bytes in all (the file's length, or an npz entry's uncompressed size;
// unknownSize when not known), and checks it: magic, version, a header
// length within the stream, a dict with exactly numpy's three keys, a
// dtype eigenlab reads, C order, and a shape whose payload, computed
// without overflow, is exactly the size - header bytes that follow. It
// reads nothing past the header and allocates at most the header.
func readNPYHeader(r io.Reader, size int64) (npyHead, error) {
	dict, offset, err := readNPYDict(r, size)
	if err != nil {
		return npyHead{}, fmt.Errorf("not a valid .npy file: %w", err)
	}
	h, err := parseNPYDict(dict)
	if err != nil && size != unknownSize {
		err = fmt.Errorf("%w (the file has %d bytes)", err, size)
	}
	if err != nil {
		return npyHead{}, err
	}
	h.offset = offset
	if size != unknownSize {
		if err := h.checkPayload(size); err != nil {
			return npyHead{}, err
		}
	}
	return h, nil
}

// readNPYDict reads the preamble and header of a .npy stream of size bytes
// and returns the header's dict text and the header's length.
func readNPYDict(r io.Reader, size int64) (string, int64, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return "", 0, err
	}
	if string(pre[:6]) != npyMagic {
		return "", 0, errors.New("bad magic")
	}
	var hlen, plen int64
	switch pre[6] {
	case 1:
		hlen, plen = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return "", 0, err
		}
		hlen, plen = int64(binary.LittleEndian.Uint32(pre[8:12])), 12
	default:
		return "", 0, fmt.Errorf("version %d", pre[6])
	}
	switch {
	case size != unknownSize && hlen > size-plen:
		return "", 0, fmt.Errorf("the header claims %d bytes, but only %d follow the %d-byte preamble", hlen, max(size-plen, 0), plen)
	case hlen > maxNPYHeader:
		return "", 0, fmt.Errorf("%d-byte header (at most %d)", hlen, maxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return "", 0, fmt.Errorf("header: %w", err)
	}
	if hlen == 0 || hdr[hlen-1] != '\n' {
		return "", 0, errors.New("header does not end in a newline")
	}
	return string(hdr[:hlen-1]), plen + hlen, nil
}

// checkPayload holds the payload to the size - offset bytes there are.
func (h npyHead) checkPayload(size int64) error {
	have := size - h.offset
	why := ""
	switch {
	case have < h.payload:
		why = "truncated"
	case have > h.payload:
		why = "trailing bytes"
	default:
		return nil
	}
	return fmt.Errorf(".npy %s needs %d bytes after its %d-byte header, but the file has %d bytes (%d after the header): %s",
		h, h.payload, h.offset, size, have, why)
}

// parseNPYDict parses a header dict such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// (a Python literal: keys in any order, either quote, a trailing comma).
func parseNPYDict(dict string) (npyHead, error) {
	var h npyHead
	fields, err := pyDict(dict)
	if err != nil {
		return h, fmt.Errorf("not a valid .npy file: header %.80q: %w", dict, err)
	}
	h.descr = fields["descr"]
	typ, ok := npyTypes[h.descr]
	if !ok {
		return h, fmt.Errorf(".npy dtype %q is not supported (want float32, float64 or an integer type)", h.descr)
	}
	h.typ = typ
	switch fields["fortran_order"] {
	case "False":
	case "True":
		return h, errors.New(".npy is in Fortran order; save it in C order (numpy.ascontiguousarray)")
	default:
		return h, fmt.Errorf("not a valid .npy file: fortran_order %q", fields["fortran_order"])
	}
	if h.shape, err = parseShape(fields["shape"]); err != nil {
		return h, fmt.Errorf("not a valid .npy file: shape %.80s: %w", fields["shape"], err)
	}
	if h.payload, err = payloadBytes(h.shape, typ.size); err != nil {
		return h, fmt.Errorf("not a valid .npy file: shape %s of %s: %w", NumpyShape(h.shape), h.descr, err)
	}
	return h, nil
}

// payloadBytes is the product of shape and item, or an error if it does
// not fit in an int64 (then no file could hold it).
func payloadBytes(shape []int, item int64) (int64, error) {
	n := item
	for _, d := range shape {
		if d == 0 {
			return 0, nil
		}
	}
	for _, d := range shape {
		if int64(d) > math.MaxInt64/n {
			return 0, errors.New("more than 2^63 bytes")
		}
		n *= int64(d)
	}
	return n, nil
}

// pyDict splits the header dict into its three values, as source text:
// descr and fortran_order unquoted, shape as written, parentheses and all.
func pyDict(s string) (map[string]string, error) {
	s = strings.TrimRight(s, " \t")
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || len(s) < 2 {
		return nil, errors.New("not a {...} dict")
	}
	inner := s[1 : len(s)-1]
	fields := map[string]string{}
	for rest := strings.TrimSpace(inner); rest != ""; {
		key, val, tail, err := pyEntry(rest)
		if err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, fmt.Errorf("key %q twice", key)
		}
		fields[key] = val
		rest = strings.TrimSpace(tail)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if _, ok := fields[k]; !ok {
			return nil, fmt.Errorf("no key %q", k)
		}
	}
	return fields, nil
}

// pyEntry reads one "'key': value," from the start of s and returns the
// rest; only the three keys of a .npy header are accepted.
func pyEntry(s string) (key, val, rest string, err error) {
	key, s, err = pyString(s)
	if err != nil {
		return "", "", "", err
	}
	s, ok := strings.CutPrefix(strings.TrimSpace(s), ":")
	if !ok {
		return "", "", "", fmt.Errorf("no ':' after key %q", key)
	}
	s = strings.TrimSpace(s)
	switch key {
	case "descr":
		val, s, err = pyString(s)
	case "shape":
		end := strings.IndexByte(s, ')')
		if !strings.HasPrefix(s, "(") || end < 0 {
			return "", "", "", errors.New("shape is not a (...) tuple")
		}
		val, s = s[:end+1], s[end+1:]
	case "fortran_order":
		end := strings.IndexAny(s, ", }")
		if end < 0 {
			end = len(s)
		}
		val, s = s[:end], s[end:]
	default:
		return "", "", "", fmt.Errorf("unknown key %q", key)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("%s: %w", key, err)
	}
	s = strings.TrimSpace(s)
	if s != "" {
		if s, ok = strings.CutPrefix(s, ","); !ok {
			return "", "", "", fmt.Errorf("no ',' after %s", key)
		}
	}
	return key, val, s, nil
}

// pyString reads a '...' or "..." string (no escapes: numpy writes none).
func pyString(s string) (val, rest string, err error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("want a quoted string at %.20q", s)
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", fmt.Errorf("unterminated string %.20q", s)
	}
	return s[1 : end+1], s[end+2:], nil
}

// parseShape parses "()", "(5,)" or "(3, 4)" (Python 2's "3L" too) into
// non-negative dimensions.
func parseShape(tuple string) ([]int, error) {
	inner := strings.TrimSpace(tuple[1 : len(tuple)-1])
	if inner == "" {
		return []int{}, nil
	}
	parts := strings.Split(strings.TrimSuffix(inner, ","), ",")
	if len(parts) > maxNPYRank {
		return nil, fmt.Errorf("%d dimensions (at most %d)", len(parts), maxNPYRank)
	}
	shape := make([]int, len(parts))
	for i, p := range parts {
		p = strings.TrimSuffix(strings.TrimSpace(p), "L")
		d, err := strconv.ParseInt(p, 10, 64)
		switch {
		case err != nil:
			return nil, fmt.Errorf("dimension %q is not an integer", p)
		case d < 0:
			return nil, fmt.Errorf("negative dimension %d", d)
		case d > math.MaxInt:
			return nil, fmt.Errorf("dimension %d out of range", d)
		}
		shape[i] = int(d)
	}
	return shape, nil
}

// ReadNPY reads one .npy array from r, which holds size bytes in all (the
// file's length, an npz entry's uncompressed size): the header is checked
// against size before anything is allocated (see readNPYHeader), and the
// payload is read with one io.ReadFull, so a short read is an error, never
// silent corruption. Float32, float64 and int64 are kept; other integer
// and bool types are widened to int64; other dtypes (float16, big-endian,
// structured) are refused.
func ReadNPY(r io.Reader, size int64) (*Array, error) {
	if size < 0 {
		return nil, fmt.Errorf("ReadNPY: size %d; the .npy's length must be known", size)
	}
	h, err := readNPYHeader(r, size)
	if err != nil {
		return nil, err
	}
	if h.typ.keep == "" {
		return readWidened(r, h)
	}
	a := newArrayOf(h.typ.keep, h.shape)
	if _, err := io.ReadFull(r, a.Bytes()); err != nil {
		return nil, fmt.Errorf(".npy payload of %s is truncated: %w", h, err)
	}
	return a, nil
}

// readWidened reads the payload of a small integer or bool dtype and
// widens it to int64.
func readWidened(r io.Reader, h npyHead) (*Array, error) {
	raw := make([]byte, h.payload)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf(".npy payload of %s is truncated: %w", h, err)
	}
	a := &Array{Shape: h.shape, I64: make([]int64, Numel(h.shape))}
	for i := range a.I64 {
		a.I64[i] = h.typ.widen(raw[int64(i)*h.typ.size:])
	}
	return a, nil
}

// ReadNPYFile reads the .npy file at path (ReadNPY, with the file's size);
// errors name the file, and a path that is not a regular file is refused
// before it is opened.
func ReadNPYFile(path string) (*Array, error) {
	f, info, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := ReadNPY(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// newArrayOf allocates an array of one of the three dtypes.
func newArrayOf(dtype DType, shape []int) *Array {
	a := &Array{Shape: shape}
	switch dtype {
	case Float32:
		a.F32 = make([]float32, Numel(shape))
	case Int64:
		a.I64 = make([]int64, Numel(shape))
	default:
		a.F64 = make([]float64, Numel(shape))
	}
	return a
}
