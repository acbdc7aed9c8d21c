package page

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteMarkdown writes doc as GitHub-flavoured markdown; links are the
// charts it may link, by name (nil for none).
func WriteMarkdown(w io.Writer, doc *Document, links map[string]Link) error {
	ew := NewWriter(w)
	ew.Println("# " + MDText(doc.Title))
	if doc.Headline != nil {
		ew.MarkdownSection(doc.Headline, 2, links)
	}
	for _, p := range doc.Paras {
		ew.Println("")
		ew.Println(MDPara(p))
	}
	for _, s := range doc.Sections {
		ew.MarkdownSection(s, 2, links)
	}
	return ew.Err()
}

// WriteText writes doc as plain text for a terminal; links are the
// charts it may name, by name (nil for none).
func WriteText(w io.Writer, doc *Document, links map[string]Link) error {
	ew := NewWriter(w)
	ew.Println(doc.Title)
	ew.Println(strings.Repeat("=", utf8.RuneCountInString(doc.Title)))
	if doc.Headline != nil {
		ew.TextSection(doc.Headline, 0, links)
	}
	for _, p := range doc.Paras {
		ew.Println("")
		ew.Println(Wrap(PlainPara(p), TextWidth))
	}
	for _, s := range doc.Sections {
		ew.TextSection(s, 0, links)
	}
	return ew.Err()
}

// WriteHTML writes doc as one self-contained HTML page, with the charts
// by name (nil for none).
func WriteHTML(w io.Writer, doc *Document, charts map[string]HTMLChart) error {
	hd := htmlDoc{Title: doc.Title}
	if doc.Headline != nil {
		h := toHTMLSection(doc.Headline, 0, charts)
		hd.Headline = &h
	}
	for _, p := range doc.Paras {
		hd.Paras = append(hd.Paras, htmlPara(p))
	}
	for _, s := range doc.Sections {
		hd.Sections = append(hd.Sections, toHTMLSection(s, 0, charts))
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, hd); err != nil {
		return fmt.Errorf("rendering html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing html: %w", err)
	}
	return nil
}
