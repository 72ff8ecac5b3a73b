package escape

import (
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	for in, want := range map[string]string{
		"plain words stay":                 "plain words stay",
		"[click](https://evil.example)":    `\[click\](https://evil.example)`,
		"![x](https://evil.example/p.png)": `\!\[x\](https://evil.example/p.png)`,
		`<img src=x onerror=alert(1)>`:     `\<img src=x onerror=alert(1)\>`,
		"**bold** _it_ `code` ~~s~~ a|b":   `\*\*bold\*\* \_it\_ \` + "`code\\`" + ` \~\~s\~\~ a\|b`,
		"# heading":                        `\# heading`,
		"- item\n\n# two":                  `\- item # two`,
		"12. ordered":                      `12\. ordered`,
		"&lt; stays text":                  `\&lt; stays text`,
		"back\\slash":                      `back\\slash`,
	} {
		if got := Markdown(in); got != want {
			t.Errorf("Markdown(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeAndHTML(t *testing.T) {
	if got := Code("a`b\nc"); got != "a'b c" {
		t.Errorf("Code = %q", got)
	}
	if got := HTML(`<img src="x"> ![a](b)`); got != "&lt;img src=&#34;x&#34;&gt; &#33;&#91;a&#93;(b)" {
		t.Errorf("HTML = %q", got)
	}
}

func TestTerminal(t *testing.T) {
	in := "ok\tline\n\x1b]0;pwned\x07\x1b[2J\u009b"
	got := Terminal(in)
	if strings.ContainsAny(got, "\x1b\x07\u009b") || !strings.Contains(got, `\x1b]0;pwned\x07`) || !strings.Contains(got, "ok\tline\n") {
		t.Errorf("Terminal(%q) = %q", in, got)
	}
}
