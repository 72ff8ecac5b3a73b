package report

import (
	"regexp"
	"strings"

	"github.com/karpgate/karpgate/internal/escape"
)

// gfm turns karpgate's plain text (a rule's description or remediation, a finding's message and
// fix: prose lines, and HCL or JSON code) into GitHub-flavoured Markdown: code goes into fenced
// blocks labelled hcl or json, so that its lines stay apart and `*` or `<region>` survive; prose is
// escaped, except `code spans` the text already marks.
//
// Text from user policies (trusted false) has its prose escaped with escape.Markdown, code spans
// included, so that it cannot add links, images or HTML; fenced code is inert either way.
func gfm(text string, trusted bool) string {
	text = escape.StripControls(text)
	prose := escapeProse
	if !trusted {
		prose = escape.Markdown
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var b strings.Builder
	for i := 0; i < len(lines); {
		if !isCodeLine(lines[i]) {
			if strings.TrimSpace(lines[i]) == "" {
				b.WriteString("\n")
			} else {
				b.WriteString(prose(lines[i]))
				b.WriteString("\n")
				// A label directly above code ("HCL, in data ...:") stays its own paragraph.
				if i+1 < len(lines) && isCodeLine(lines[i+1]) {
					b.WriteString("\n")
				}
			}
			i++
			continue
		}
		j := i
		for j < len(lines) {
			if isCodeLine(lines[j]) {
				j++
				continue
			}
			// Blank lines inside code belong to it when code follows them.
			k := j
			for k < len(lines) && strings.TrimSpace(lines[k]) == "" {
				k++
			}
			if k > j && k < len(lines) && isCodeLine(lines[k]) {
				j = k
				continue
			}
			break
		}
		code := strings.Join(lines[i:j], "\n")
		fence := "```"
		for strings.Contains(code, fence) {
			fence += "`"
		}
		b.WriteString(fence + codeLanguage(code) + "\n" + code + "\n" + fence + "\n")
		if j < len(lines) && strings.TrimSpace(lines[j]) != "" {
			b.WriteString("\n")
		}
		i = j
	}
	return strings.TrimRight(b.String(), "\n")
}

// hclLine matches the lines of HCL that start at column 0: a block ("statement {", `module
// "karpenter" {`), an argument ("enable_v1_permissions = true"), a closing brace.
var hclLine = regexp.MustCompile(`^(?:[a-z_][a-z0-9_]*(?: "[^"]*")* \{$|[a-z_][a-z0-9_]* *= |[}\]]|\{$|\[$|"[^"]*" *:)`)

func isCodeLine(line string) bool {
	if strings.TrimSpace(line) == "" {
		return false
	}
	if line[0] == ' ' || line[0] == '\t' {
		return true
	}
	return hclLine.MatchString(line)
}

// codeLanguage labels a block of code: JSON starts with a brace, bracket or quote and has a quoted
// key followed by a colon; everything else (HCL blocks, and HCL objects as jsonencode takes them,
// whose keys are followed by " =") is hcl.
func codeLanguage(code string) string {
	t := strings.TrimSpace(code)
	if (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, `"`)) && strings.Contains(t, `":`) {
		return "json"
	}
	return "hcl"
}

// escapeProse escapes the characters Markdown or HTML would read, outside `code spans`.
func escapeProse(line string) string {
	var b strings.Builder
	inCode := false
	spans := strings.Count(line, "`")%2 == 0 // an unpaired backtick makes no code span at all
	for i, r := range line {
		if r == '`' && !spans {
			b.WriteString("\\`")
			continue
		}
		if r == '`' {
			inCode = !inCode
			b.WriteRune(r)
			continue
		}
		if inCode {
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\\', '*', '_', '[', ']', '~', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '#', '-', '+', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
