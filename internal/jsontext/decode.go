package jsontext

import (
	"bytes"
	"errors"
	"strconv"
)

// Decode decodes one JSON value that a Lexer has already checked into the Go values encoding/json
// produces for `any`: map[string]any, []any, string, float64, bool and nil. It does not validate
// again, which is what makes it cheaper than json.Unmarshal (that scans every value twice), but it
// never panics on any input and never reads past b.
func Decode(b []byte) (any, error) {
	d := valueDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type valueDecoder struct {
	b []byte
	i int
}

var errTruncated = errors.New("unexpected end of JSON value")

func (d *valueDecoder) ws() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\t' || d.b[d.i] == '\n' || d.b[d.i] == '\r') {
		d.i++
	}
}

func (d *valueDecoder) value(depth int) (any, error) {
	d.ws()
	if d.i >= len(d.b) {
		return nil, errTruncated
	}
	if depth > MaxDepth {
		return nil, errors.New("nested too deep")
	}
	switch c := d.b[d.i]; c {
	case '{':
		d.i++
		m := map[string]any{}
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return m, nil
		}
		for {
			d.ws()
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			d.ws()
			if d.i >= len(d.b) || d.b[d.i] != ':' {
				return nil, errTruncated
			}
			d.i++
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			d.ws()
			if d.i >= len(d.b) {
				return nil, errTruncated
			}
			if d.b[d.i] == ',' {
				d.i++
				continue
			}
			d.i++ // '}'
			return m, nil
		}
	case '[':
		d.i++
		a := []any{}
		d.ws()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return a, nil
		}
		for {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			d.ws()
			if d.i >= len(d.b) {
				return nil, errTruncated
			}
			if d.b[d.i] == ',' {
				d.i++
				continue
			}
			d.i++ // ']'
			return a, nil
		}
	case '"':
		return d.str()
	case 't':
		d.i += 4
		return true, nil
	case 'f':
		d.i += 5
		return false, nil
	case 'n':
		d.i += 4
		return nil, nil
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		// encoding/json refuses numbers a float64 cannot hold (1e999999); so does karpgate.
		return nil, &NumberError{Text: string(d.b[start:d.i])}
	}
	return f, nil
}

// NumberError is a valid JSON number that a reader cannot hold: Err says why, or, when it is
// nil, no float64 can hold it (1e999999, which encoding/json refuses too).
type NumberError struct {
	Text string
	Err  error
}

func (e *NumberError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	t := e.Text
	if len(t) > 40 {
		t = t[:40] + "..."
	}
	return "expected float64, found JSON number " + t
}

func (e *NumberError) Unwrap() error { return e.Err }

func (d *valueDecoder) str() (string, error) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return "", errTruncated
	}
	start := d.i + 1
	end := stringEnd(d.b, start)
	if end < 0 {
		d.i = len(d.b)
		return "", errTruncated
	}
	raw := d.b[start:end]
	d.i = end + 1
	if bytes.IndexByte(raw, '\\') >= 0 {
		return Unescape(raw)
	}
	return string(raw), nil
}
