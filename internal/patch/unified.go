package patch

import (
	"bytes"
	"fmt"
	"strings"
)

// context is the number of unchanged lines around a change, as diff -u.
const context = 3

// unified returns a unified diff of before and after for the file at path (relative to the
// repository root, so `patch -p1` and `git apply` find it). The changed region is everything
// between the longest common prefix and suffix of lines, as one hunk: the edits of one file are
// few and close together, and one hunk applies exactly like several.
func unified(path string, before, after []byte) []byte {
	if bytes.Equal(before, after) {
		return nil
	}
	a, b := lines(before), lines(after)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	start := max(pre-context, 0)
	endA := min(len(a)-suf+context, len(a))
	endB := min(len(b)-suf+context, len(b))
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
	fmt.Fprintf(&out, "@@ -%s +%s @@\n", span(start, endA-start), span(start, endB-start))
	for _, l := range a[start:pre] {
		out.WriteString(" " + l)
		noNewline(&out, l)
	}
	for _, l := range a[pre : len(a)-suf] {
		out.WriteString("-" + l)
		noNewline(&out, l)
	}
	for _, l := range b[pre : len(b)-suf] {
		out.WriteString("+" + l)
		noNewline(&out, l)
	}
	for _, l := range a[len(a)-suf : endA] {
		out.WriteString(" " + l)
		noNewline(&out, l)
	}
	return []byte(out.String())
}

// lines splits text into lines that keep their "\n" (the last may lack it).
func lines(text []byte) []string {
	var out []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, string(text))
			break
		}
		out = append(out, string(text[:i+1]))
		text = text[i+1:]
	}
	return out
}

// noNewline marks a last line without "\n", as diff does.
func noNewline(out *strings.Builder, l string) {
	if !strings.HasSuffix(l, "\n") {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}

// span is a hunk range: start is 0-based, the header 1-based; an empty range names the line before.
func span(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
