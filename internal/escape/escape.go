package escape

import (
	"fmt"
	"html"
	"strings"
	"unicode"
)

// mdSpecial are the characters that start or close inline Markdown (GitHub Flavored): emphasis,
// code, links and images, raw HTML, entities, tables, strikethrough, and the escape itself.
const mdSpecial = "\\`*_[]<>&|~!"

// line collapses every run of white space (new lines included) into one space, so the text
// cannot start a block of its own, and drops other control characters.
func line(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Markdown returns s as inline Markdown text that renders as s: on one line, with every character
// that could make a link, an image, HTML, emphasis or code backslash-escaped, and a leading
// character that would start a heading, list or quote escaped too.
func Markdown(s string) string {
	s = line(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		if r < 0x80 && strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		} else if i == 0 && strings.ContainsRune("#-+=", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	out := b.String()
	// "1. " or "1) " at the start is an ordered list.
	if j := strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && (out[j] == '.' || out[j] == ')') {
		out = out[:j] + "\\" + out[j:]
	}
	return out
}

// MarkdownLines escapes text of several lines (a rule's description or remediation) line by
// line with Markdown, keeping blank lines as paragraph breaks.
func MarkdownLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = Markdown(l)
	}
	return strings.Join(lines, "\n")
}

// Code returns s for the inside of a single-backtick code span: on one line, with backticks
// replaced by apostrophes so the span cannot close early.
func Code(s string) string {
	s = strings.ReplaceAll(line(s), "`", "'")
	if s == "" {
		return " "
	}
	return s
}

// HTML returns s as HTML text on one line (for <summary> and other HTML blocks in Markdown, where
// Markdown escapes do not apply). Markdown's link, image, emphasis and code characters become
// character references too, so the text stays inert should a renderer treat it as Markdown.
func HTML(s string) string { return htmlMarkdown.Replace(html.EscapeString(line(s))) }

var htmlMarkdown = strings.NewReplacer("[", "&#91;", "]", "&#93;", "!", "&#33;", "`", "&#96;", "*", "&#42;", "_", "&#95;", "~", "&#126;", "|", "&#124;")

// Terminal returns s with control characters other than new line and tab shown as \xNN, so text
// from a plan cannot move the cursor, change colours or retitle the terminal.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if isTerminalControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isTerminalControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isTerminalControl(r rune) bool {
	return r != '\n' && r != '\t' && (r < 0x20 || (r >= 0x7f && r < 0xa0))
}

// StripControls drops control characters other than new line and tab: in Markdown they have no
// business and some renderers pass them on.
func StripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if isTerminalControl(r) {
			return -1
		}
		return r
	}, s)
}
