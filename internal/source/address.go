package source

import (
	"errors"
	"fmt"
	"strings"
)

// address is a Terraform absolute resource address with its instance keys removed: the module call
// names from the root down, then the resource (empty for the address of a module call itself).
type address struct {
	modules []string
	// resource is "TYPE.NAME" for a managed resource and "data.TYPE.NAME" for a data source; empty
	// when the address names a module call.
	resource string
}

var errBadAddress = errors.New("malformed resource address")

// parseAddress parses addresses such as `aws_iam_policy.x`, `data.aws_iam_policy_document.y[0]` and
// `module.clusters["prod"].module.karpenter.aws_iam_role.controller[0]`. Instance keys may be
// numbers or quoted strings containing any character, including `.` and `]`.
func parseAddress(s string) (address, error) {
	p := addrParser{s: s}
	var a address
	for {
		word, err := p.ident()
		if err != nil {
			return address{}, err
		}
		switch word {
		case "module":
			if err := p.dot(); err != nil {
				return address{}, err
			}
			name, err := p.ident()
			if err != nil {
				return address{}, err
			}
			if err := p.key(); err != nil {
				return address{}, err
			}
			a.modules = append(a.modules, name)
			if p.done() {
				return a, nil
			}
			if err := p.dot(); err != nil {
				return address{}, err
			}
			continue
		case "data":
			if err := p.dot(); err != nil {
				return address{}, err
			}
			typ, name, err := p.typeName()
			if err != nil {
				return address{}, err
			}
			a.resource = "data." + typ + "." + name
		default:
			if err := p.dot(); err != nil {
				return address{}, err
			}
			name, err := p.ident()
			if err != nil {
				return address{}, err
			}
			if err := p.key(); err != nil {
				return address{}, err
			}
			a.resource = word + "." + name
		}
		if !p.done() {
			return address{}, p.fail("unexpected text after the resource name")
		}
		return a, nil
	}
}

type addrParser struct {
	s   string
	pos int
}

func (p *addrParser) done() bool { return p.pos >= len(p.s) }

func (p *addrParser) fail(what string) error {
	return fmt.Errorf("%w %q: %s at offset %d", errBadAddress, p.s, what, p.pos)
}

func (p *addrParser) dot() error {
	if p.done() || p.s[p.pos] != '.' {
		return p.fail("expected '.'")
	}
	p.pos++
	return nil
}

// ident reads a Terraform identifier: letters, digits, '_' and '-'.
func (p *addrParser) ident() (string, error) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 {
			p.pos++
			continue
		}
		break
	}
	if p.pos == start {
		return "", p.fail("expected a name")
	}
	return p.s[start:p.pos], nil
}

func (p *addrParser) typeName() (typ, name string, err error) {
	if typ, err = p.ident(); err != nil {
		return "", "", err
	}
	if err = p.dot(); err != nil {
		return "", "", err
	}
	if name, err = p.ident(); err != nil {
		return "", "", err
	}
	return typ, name, p.key()
}

// key skips an optional instance key: `[0]` or `["a \"quoted\" ] key"]`.
func (p *addrParser) key() error {
	if p.done() || p.s[p.pos] != '[' {
		return nil
	}
	p.pos++
	if p.done() {
		return p.fail("unterminated instance key")
	}
	if p.s[p.pos] == '"' {
		p.pos++
		for {
			if p.done() {
				return p.fail("unterminated string key")
			}
			c := p.s[p.pos]
			p.pos++
			if c == '\\' {
				p.pos++
				continue
			}
			if c == '"' {
				break
			}
		}
	} else {
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == start {
			return p.fail("expected a number or a quoted key")
		}
	}
	if p.done() || p.s[p.pos] != ']' {
		return p.fail("expected ']'")
	}
	p.pos++
	return nil
}

// String renders the address without instance keys, as it appears in notes.
func (a address) String() string {
	var b strings.Builder
	for _, m := range a.modules {
		b.WriteString("module.")
		b.WriteString(m)
		b.WriteByte('.')
	}
	b.WriteString(a.resource)
	return strings.TrimSuffix(b.String(), ".")
}
