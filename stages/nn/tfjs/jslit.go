package tfjs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A bundled tfjs model (nsfwjs's model.min.js and group1-shardNofM.min.js)
// is a browserify module whose body is `….exports=<literal>`: the model
// JSON written as a JavaScript object literal (unquoted keys, !0/!1 for
// true/false, numbers such as .5) or the base64 text of a weight shard.
// Rather than run the module (node at set-up time, or a JS engine in Go),
// the importer parses that one literal with the small parser below. It
// accepts JSON plus the forms a minifier emits for data (identifier keys,
// single-quoted strings, !0, !1, void 0, leading-dot and hex numbers) and
// refuses everything else (calls, expressions), so code is never mistaken
// for data.

// exportedLiteral finds the first `exports=<literal>` in src whose literal
// parses and satisfies want, and returns the literal's value: nil, bool,
// float64, string, []any or map[string]any.
func exportedLiteral(src []byte, want func(any) bool) (any, error) {
	const marker = "exports="
	for off := 0; ; {
		i := bytes.Index(src[off:], []byte(marker))
		if i < 0 {
			return nil, fmt.Errorf("no `exports=<literal>` holding the expected value")
		}
		p := &litParser{src: src, pos: off + i + len(marker)}
		off = p.pos
		if v, err := p.value(0); err == nil && want(v) {
			return v, nil
		}
	}
}

// maxDepth bounds nesting so a malformed file cannot exhaust the stack.
const maxDepth = 256

type litParser struct {
	src []byte
	pos int
}

func (p *litParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *litParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *litParser) peek() byte {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *litParser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := p.peek(); {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		return p.str()
	case c == '!':
		// The minifier's booleans: !0 is true, !1 is false.
		switch {
		case bytes.HasPrefix(p.src[p.pos:], []byte("!0")):
			p.pos += 2
			return true, nil
		case bytes.HasPrefix(p.src[p.pos:], []byte("!1")):
			p.pos += 2
			return false, nil
		}
		return nil, p.errorf("'!' not followed by 0 or 1")
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case isIdentStart(c):
		word := p.ident()
		switch word {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		case "void":
			if p.peek() == '0' {
				p.pos++
				return nil, nil
			}
		}
		return nil, p.errorf("%q is not a literal", word)
	}
	return nil, p.errorf("want a literal value")
}

func (p *litParser) object(depth int) (any, error) {
	p.pos++ // {
	obj := map[string]any{}
	for {
		c := p.peek()
		if c == '}' {
			p.pos++
			return obj, nil
		}
		var key string
		switch {
		case c == '"' || c == '\'':
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			key = s
		case isIdentStart(c):
			key = p.ident()
		case c >= '0' && c <= '9':
			n, err := p.number()
			if err != nil {
				return nil, err
			}
			key = strconv.FormatFloat(n, 'g', -1, 64)
		default:
			return nil, p.errorf("want an object key")
		}
		if p.peek() != ':' {
			return nil, p.errorf("want ':' after key %q", key)
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
		default:
			return nil, p.errorf("want ',' or '}' in an object")
		}
	}
}

func (p *litParser) array(depth int) (any, error) {
	p.pos++ // [
	arr := []any{}
	for {
		if p.peek() == ']' {
			p.pos++
			return arr, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
		default:
			return nil, p.errorf("want ',' or ']' in an array")
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *litParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && (isIdentStart(p.src[p.pos]) || (p.src[p.pos] >= '0' && p.src[p.pos] <= '9')) {
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// number reads a JavaScript numeric literal. Decimal forms are parsed by
// strconv.ParseFloat, which rounds correctly as JavaScript does, so every
// number (quantisation min and scale included) is the double node sees.
func (p *litParser) number() (float64, error) {
	start := p.pos
	sign := 1.0
	if c := p.src[p.pos]; c == '-' || c == '+' {
		if c == '-' {
			sign = -1
		}
		p.pos++
	}
	body := p.pos
	if bytes.HasPrefix(p.src[body:], []byte("0x")) || bytes.HasPrefix(p.src[body:], []byte("0X")) {
		p.pos += 2
		for p.pos < len(p.src) && strings.IndexByte("0123456789abcdefABCDEF", p.src[p.pos]) >= 0 {
			p.pos++
		}
		n, err := strconv.ParseUint(string(p.src[body+2:p.pos]), 16, 64)
		if err != nil {
			return 0, p.errorf("bad hex number %q", p.src[start:p.pos])
		}
		return sign * float64(n), nil
	}
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' ||
			((c == '-' || c == '+') && (p.src[p.pos-1] == 'e' || p.src[p.pos-1] == 'E')) {
			p.pos++
			continue
		}
		break
	}
	text := string(p.src[body:p.pos])
	if text == "" || text[0] == '_' || strings.Contains(text, "_") {
		return 0, p.errorf("bad number %q", p.src[start:p.pos])
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, p.errorf("bad number %q", p.src[start:p.pos])
	}
	return sign * f, nil
}

// str reads a quoted string with JavaScript escapes.
func (p *litParser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	// Fast path: a long run with no escapes (a base64 weight shard).
	if end := bytes.IndexByte(p.src[p.pos:], quote); end >= 0 && bytes.IndexByte(p.src[p.pos:p.pos+end], '\\') < 0 {
		s := string(p.src[p.pos : p.pos+end])
		p.pos += end + 1
		return s, nil
	}
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			return b.String(), nil
		case c == '\n':
			return "", p.errorf("newline in a string")
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.src) {
			break
		}
		e := p.src[p.pos]
		p.pos++
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case 'x', 'u':
			r, err := p.codeUnit(e)
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && bytes.HasPrefix(p.src[p.pos:], []byte(`\u`)) {
				p.pos += 2
				lo, err := p.codeUnit('u')
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, lo)
			}
			b.WriteRune(r)
		default:
			if e >= utf8.RuneSelf {
				p.pos--
				r, n := utf8.DecodeRune(p.src[p.pos:])
				b.WriteRune(r)
				p.pos += n
			} else {
				b.WriteByte(e) // \" \' \\ \/ and identity escapes
			}
		}
	}
	return "", p.errorf("unterminated string")
}

// codeUnit reads the hex digits of a \xHH or \uHHHH escape.
func (p *litParser) codeUnit(kind byte) (rune, error) {
	n := 2
	if kind == 'u' {
		n = 4
	}
	if p.pos+n > len(p.src) {
		return 0, p.errorf("short \\%c escape", kind)
	}
	v, err := strconv.ParseUint(string(p.src[p.pos:p.pos+n]), 16, 32)
	if err != nil {
		return 0, p.errorf("bad \\%c escape", kind)
	}
	p.pos += n
	return rune(v), nil
}
