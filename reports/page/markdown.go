package page

import (
	"strings"
)

// A Link is where a markdown or text document links a chart: the
// chart's title and the path of its SVG file.
type Link struct {
	Title, Path string
}

// MarkdownSection writes s as markdown with a heading of level (#
// count); links are the charts it may link, by name (a chart without a
// link is left out).
func (ew *Writer) MarkdownSection(s *Section, level int, links map[string]Link) {
	ew.Println("")
	if s.Collapsed {
		ew.Println("<details><summary><b>" + htmlEscape(s.Title) + "</b></summary>")
	} else {
		ew.Println(strings.Repeat("#", level) + " " + MDText(s.Title))
	}
	for _, p := range s.Paras {
		ew.Println("")
		ew.Println(MDPara(p))
	}
	for _, t := range s.Tables {
		ew.Println("")
		ew.MarkdownTable(t)
	}
	for _, name := range s.Charts {
		link, ok := links[name]
		if !ok {
			continue
		}
		ew.Println("")
		ew.Printf("![%s](%s)\n", MDText(link.Title), strings.ReplaceAll(link.Path, " ", "%20"))
	}
	for _, sub := range s.Sub {
		ew.MarkdownSection(sub, level+1, links)
	}
	if s.Collapsed {
		ew.Println("")
		ew.Println("</details>")
	}
}

// MarkdownTable writes t as a GitHub markdown table, its footnotes
// below.
func (ew *Writer) MarkdownTable(t *Table) {
	if t.Caption != "" {
		ew.Println(MDText(t.Caption))
		ew.Println("")
	}
	row := func(cells []string, header bool) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" ")
			if !header && t.Code[i] && c != "" && c != None && !strings.Contains(c, " ") {
				b.WriteString("`" + strings.ReplaceAll(SanitizeCode(c), "|", "\\|") + "`")
			} else {
				b.WriteString(mdCell(c))
			}
			b.WriteString(" |")
		}
		ew.Println(b.String())
	}
	row(t.Header, true)
	var sep strings.Builder
	sep.WriteString("|")
	for i := range t.Header {
		if t.Right[i] {
			sep.WriteString(" ---: |")
		} else {
			sep.WriteString(" --- |")
		}
	}
	ew.Println(sep.String())
	for _, r := range t.Rows {
		row(r, false)
	}
	if len(t.Notes) > 0 {
		ew.Println("")
		for i, n := range t.Notes {
			sep := "<br>"
			if i == len(t.Notes)-1 {
				sep = ""
			}
			ew.Println(MDText(n) + sep)
		}
	}
}

// mdEscaper escapes the characters GitHub markdown would interpret in
// plain text.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "\\`", "|", `\|`,
)

// MDText escapes s, plain text, for markdown.
func MDText(s string) string { return mdEscaper.Replace(s) }

func mdCell(s string) string { return MDText(s) }

// MDPara escapes a paragraph but keeps its `code` spans.
func MDPara(p string) string {
	var b strings.Builder
	for i, part := range strings.Split(p, "`") {
		if i%2 == 1 {
			b.WriteString("`" + part + "`")
		} else {
			b.WriteString(MDText(part))
		}
	}
	return b.String()
}
