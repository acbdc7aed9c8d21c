package reports

import (
	"io"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

// Markdown writes the report of r as GitHub-flavoured markdown, readable
// as a pull-request comment or a job summary.
func Markdown(w io.Writer, r *results.Results, opts Options) error {
	return writeMarkdownDocument(w, buildDocument(r, opts), opts)
}

func writeMarkdownSection(ew *errWriter, s *section, level int, opts Options) {
	ew.println("")
	if s.Collapsed {
		ew.println("<details><summary><b>" + htmlEscape(s.Title) + "</b></summary>")
	} else {
		ew.println(strings.Repeat("#", level) + " " + mdText(s.Title))
	}
	for _, p := range s.Paras {
		ew.println("")
		ew.println(mdPara(p))
	}
	for _, t := range s.Tables {
		ew.println("")
		writeMarkdownTable(ew, t)
	}
	for _, name := range s.Charts {
		link, ok := opts.ChartLinks[name]
		if !ok {
			continue
		}
		ew.println("")
		ew.printf("![%s](%s)\n", mdText(chartTitles[name]), strings.ReplaceAll(link, " ", "%20"))
	}
	for _, sub := range s.Sub {
		writeMarkdownSection(ew, sub, level+1, opts)
	}
	if s.Collapsed {
		ew.println("")
		ew.println("</details>")
	}
}

func writeMarkdownTable(ew *errWriter, t *table) {
	if t.Caption != "" {
		ew.println(mdText(t.Caption))
		ew.println("")
	}
	row := func(cells []string, header bool) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			b.WriteString(" ")
			if !header && t.Code[i] && c != "" && c != none && !strings.Contains(c, " ") {
				b.WriteString("`" + strings.ReplaceAll(sanitizeCode(c), "|", "\\|") + "`")
			} else {
				b.WriteString(mdCell(c))
			}
			b.WriteString(" |")
		}
		ew.println(b.String())
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
	ew.println(sep.String())
	for _, r := range t.Rows {
		row(r, false)
	}
	if len(t.Notes) > 0 {
		ew.println("")
		for i, n := range t.Notes {
			sep := "<br>"
			if i == len(t.Notes)-1 {
				sep = ""
			}
			ew.println(mdText(n) + sep)
		}
	}
}

// mdText escapes the characters GitHub markdown would interpret in plain
// text.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "\\`", "|", `\|`,
)

func mdText(s string) string { return mdEscaper.Replace(s) }

func mdCell(s string) string { return mdText(s) }

// mdPara escapes a paragraph but keeps its `code` spans.
func mdPara(p string) string {
	var b strings.Builder
	for i, part := range strings.Split(p, "`") {
		if i%2 == 1 {
			b.WriteString("`" + part + "`")
		} else {
			b.WriteString(mdText(part))
		}
	}
	return b.String()
}
