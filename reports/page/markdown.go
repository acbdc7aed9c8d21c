package page

import (
	"html"
	"regexp"
	"strings"
	"unicode"
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
		ew.Println("<details><summary><b>" + mdHTMLText(s.Title) + "</b></summary>")
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
				b.WriteString("`" + mdCode(SanitizeCode(c), true) + "`")
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

// Everything a markdown document says goes through the functions below:
// they are the one place where strings from a scenario, a tracer or a
// results file (names, failure reasons, what a tracer printed) are made
// inert, whatever they hold. A string becomes text and only text: no
// heading, list, quote, table row or code block (line breaks become
// spaces and a line's first character is escaped when it could start a
// block), no emphasis, link, image or HTML (their characters are
// escaped), and nothing GitHub turns into a link after rendering (an
// @mention, a #123 reference, a bare URL or e-mail address: a zero-width
// space breaks them). In a `code` span only line breaks (and, in a
// table, pipes) need care: nothing else is interpreted there.

// zwsp is a zero-width space, as an entity so that the markdown shows it.
const zwsp = "&#8203;"

// oneLine replaces line breaks (CommonMark's: \n, \r and \r\n) with
// spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// breakLinks puts a zero-width space where GitHub would link what
// follows after rendering: after an @ (a mention, an e-mail address),
// between # and a digit (a reference), between : and / (a URL) and
// between www and a dot.
func breakLinks(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if r == '.' && i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www") {
			b.WriteRune('\u200b')
		}
		b.WriteRune(r)
		if r == '@' || r == '#' && unicode.IsDigit(next) || r == ':' && next == '/' {
			b.WriteRune('\u200b')
		}
	}
	return b.String()
}

// mdInline escapes s for markdown inline text. In a table cell (cell) a
// lone tilde is left as it is: a cell is parsed on its own, and a tilde
// strikes through only with a second one.
func mdInline(s string, cell bool) string {
	rs := []rune(breakLinks(oneLine(s)))
	tildes := strings.Count(s, "~")
	var b strings.Builder
	for i, r := range rs {
		prev, next := rune(0), rune(0)
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch r {
		case '\\', '*', '[', ']', '`', '|':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\u200b':
			b.WriteString(zwsp)
		case '_':
			// Inside a word (enter_exit) an underscore cannot emphasize.
			if !isWordRune(prev) || !isWordRune(next) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '~':
			if !cell || tildes > 1 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// blockStart matches the start of a line that could open a block: a
// heading, quote, list item, setext underline or thematic break (the
// characters escaped anywhere, like * and |, are escaped already). Its
// group is the character to escape.
var blockStart = regexp.MustCompile(`^(?:([#>+=~-])|[0-9]{1,9}([.)])(?:[ \t]|$))`)

// lineStart makes md, escaped inline text, safe at the start of a line:
// no leading blanks (four make a code block) and no block marker.
func lineStart(md string) string {
	md = strings.TrimLeft(md, " \t")
	m := blockStart.FindStringSubmatchIndex(md)
	if m == nil {
		return md
	}
	at := m[2]
	if at < 0 {
		at = m[4]
	}
	return md[:at] + "\\" + md[at:]
}

// MDText escapes s, plain text from anywhere, for markdown: a heading,
// a line of a paragraph or list item, a caption, a footnote. It may
// start a line.
func MDText(s string) string { return lineStart(mdInline(s, false)) }

// mdCell escapes s for a table cell.
func mdCell(s string) string { return mdInline(s, true) }

// mdCode spells s, free of backquotes, as the contents of a `code` span:
// line breaks would let the next line open a block, and in a table
// (table) a pipe would end the cell.
func mdCode(s string, table bool) string {
	s = oneLine(s)
	if table {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return s
}

// mdHTMLText escapes s for the text of raw HTML (a <summary>).
func mdHTMLText(s string) string {
	return strings.ReplaceAll(html.EscapeString(breakLinks(oneLine(s))), "\u200b", zwsp)
}

// MDPara escapes a paragraph but keeps its `code` spans (pairs of
// backquotes: an unpaired one is text, an empty pair is two backquotes).
func MDPara(p string) string {
	parts := strings.Split(p, "`")
	if len(parts)%2 == 0 {
		// An odd count of backquotes: the last opens no span.
		n := len(parts)
		parts = append(parts[:n-2:n-2], parts[n-2]+"`"+parts[n-1])
	}
	var b strings.Builder
	for i, part := range parts {
		switch {
		case i%2 == 0 && i == 0:
			b.WriteString(MDText(part))
		case i%2 == 0:
			b.WriteString(mdInline(part, false))
		case part == "":
			b.WriteString("\\`\\`")
		default:
			b.WriteString("`" + mdCode(part, false) + "`")
		}
	}
	return b.String()
}
