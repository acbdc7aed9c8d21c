package page

import (
	"strings"
	"unicode/utf8"
)

// TextWidth is the width paragraphs are wrapped at.
const TextWidth = 100

// TextSection writes s as plain text, its title underlined with dashes
// at depth 0 and with dots below; links are the charts it may link, by
// name.
func (ew *Writer) TextSection(s *Section, depth int, links map[string]Link) {
	ew.Println("")
	ew.Println("")
	ew.Println(s.Title)
	under := "-"
	if depth > 0 {
		under = "·"
	}
	ew.Println(strings.Repeat(under, utf8.RuneCountInString(s.Title)))
	for _, p := range s.Paras {
		ew.Println("")
		ew.Println(Wrap(PlainPara(p), TextWidth))
	}
	for _, t := range s.Tables {
		ew.Println("")
		ew.TextTable(t)
	}
	for _, name := range s.Charts {
		if link, ok := links[name]; ok {
			ew.Println("")
			ew.Println(link.Title + ": " + link.Path)
		}
	}
	for _, sub := range s.Sub {
		ew.TextSection(sub, depth+1, links)
	}
}

// TextTable writes t as a terminal table (WriteTextTable), its footnotes
// below.
func (ew *Writer) TextTable(t *Table) {
	if ew.err == nil {
		ew.err = WriteTextTable(ew.w, "", t.Header, t.Rows, t.Right)
	}
	if len(t.Notes) > 0 {
		ew.Println("")
	}
	for _, n := range t.Notes {
		ew.Println(Wrap(n, TextWidth))
	}
}

// PlainPara drops the backquotes of `code` spans.
func PlainPara(p string) string { return strings.ReplaceAll(p, "`", "") }

// Wrap breaks s into lines of at most width runes at spaces.
func Wrap(s string, width int) string {
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
