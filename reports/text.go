package reports

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/benchctl/benchctl/bench/results"
)

// textWidth is the width paragraphs are wrapped at.
const textWidth = 100

// Text writes the report of r as plain-text tables for a terminal.
func Text(w io.Writer, r *results.Results, opts Options) error {
	return writeTextDocument(w, buildDocument(r, opts), opts)
}

func writeTextSection(ew *errWriter, s *section, depth int, opts Options) {
	ew.println("")
	ew.println("")
	ew.println(s.Title)
	under := "-"
	if depth > 0 {
		under = "·"
	}
	ew.println(strings.Repeat(under, utf8.RuneCountInString(s.Title)))
	for _, p := range s.Paras {
		ew.println("")
		ew.println(wrap(plainPara(p), textWidth))
	}
	for _, t := range s.Tables {
		ew.println("")
		writeTextTable(ew, t)
	}
	for _, name := range s.Charts {
		if link, ok := opts.ChartLinks[name]; ok {
			ew.println("")
			ew.println(chartTitles[name] + ": " + link)
		}
	}
	for _, sub := range s.Sub {
		writeTextSection(ew, sub, depth+1, opts)
	}
}

func writeTextTable(ew *errWriter, t *table) {
	if ew.err == nil {
		ew.err = WriteTextTable(ew.w, "", t.Header, t.Rows, t.Right)
	}
	if len(t.Notes) > 0 {
		ew.println("")
	}
	for _, n := range t.Notes {
		ew.println(wrap(n, textWidth))
	}
}

// plainPara drops the backquotes of `code` spans.
func plainPara(p string) string { return strings.ReplaceAll(p, "`", "") }

// wrap breaks s into lines of at most width runes at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		wl := utf8.RuneCountInString(word)
		if i > 0 {
			if n+1+wl > width {
				b.WriteString("\n")
				n = 0
			} else {
				b.WriteString(" ")
				n++
			}
		}
		b.WriteString(word)
		n += wl
	}
	return b.String()
}
