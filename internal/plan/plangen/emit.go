package plangen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// obj is a JSON object that keeps its key order, so the output is byte-for-byte deterministic.
type obj []kv

type kv struct {
	k string
	v any
}

// get returns the value of key k, or nil.
func (o obj) get(k string) any {
	for _, e := range o {
		if e.k == k {
			return e.v
		}
	}
	return nil
}

// with returns a copy of o with key k set to v (replaced in place, or appended).
func (o obj) with(k string, v any) obj {
	out := make(obj, len(o), len(o)+1)
	copy(out, o)
	for i := range out {
		if out[i].k == k {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{k, v})
}

// raw is JSON text written as is (it must be compact and valid).
type raw []byte

// enc writes compact JSON, like `terraform show -json`. bufio.Writer errors are sticky, so callers
// check the error once, at Flush.
type enc struct {
	w   *bufio.Writer
	buf []byte
}

func (e *enc) b(c byte)     { e.w.WriteByte(c) }
func (e *enc) s(s string)   { e.w.WriteString(s) }
func (e *enc) key(k string) { e.str(k); e.b(':') }

func (e *enc) str(s string) {
	e.buf = appendString(e.buf[:0], s)
	e.w.Write(e.buf)
}

// val writes any value the generator builds.
func (e *enc) val(v any) {
	switch x := v.(type) {
	case nil:
		e.s("null")
	case string:
		e.str(x)
	case bool:
		if x {
			e.s("true")
		} else {
			e.s("false")
		}
	case int:
		e.buf = strconv.AppendInt(e.buf[:0], int64(x), 10)
		e.w.Write(e.buf)
	case float64:
		e.buf = strconv.AppendFloat(e.buf[:0], x, 'g', -1, 64)
		e.w.Write(e.buf)
	case obj:
		e.b('{')
		for i, f := range x {
			if i > 0 {
				e.b(',')
			}
			e.key(f.k)
			e.val(f.v)
		}
		e.b('}')
	case []any:
		e.b('[')
		for i, el := range x {
			if i > 0 {
				e.b(',')
			}
			e.val(el)
		}
		e.b(']')
	case []string:
		e.b('[')
		for i, el := range x {
			if i > 0 {
				e.b(',')
			}
			e.str(el)
		}
		e.b(']')
	case []obj:
		e.b('[')
		for i, el := range x {
			if i > 0 {
				e.b(',')
			}
			e.val(el)
		}
		e.b(']')
	case raw:
		e.w.Write(x)
	default:
		// Only reachable through a bug in this package; fail loudly in the output.
		e.s(`"!unsupported"`)
	}
}

// marshal returns the compact JSON text of v (for policy documents embedded as strings).
func marshal(v any) string {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	e := &enc{w: w}
	e.val(v)
	w.Flush()
	return b.String()
}

// pretty returns v as the AWS provider prints aws_iam_policy_document.json: two-space indent.
func pretty(v any) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(marshal(v)), "", "  "); err != nil {
		return marshal(v)
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json writes it (Terraform's encoder):
// HTML-significant characters and U+2028/U+2029 escaped as \u00XX.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
