package reports

import (
	_ "embed"
	"html"
	"html/template"
	"io"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

type htmlDoc struct {
	Title    string
	Headline *htmlSection
	Paras    []template.HTML
	Sections []htmlSection
}

type htmlSection struct {
	ID, Title string
	Depth     int
	Collapsed bool
	Paras     []template.HTML
	Tables    []htmlTable
	Charts    []htmlChart
	Sub       []htmlSection
}

type htmlTable struct {
	Header []htmlCell
	Rows   [][]htmlCell
	Notes  []string
}

type htmlCell struct {
	Text      string
	Num, Code bool
}

type htmlChart struct {
	Title, Caption string
	SVG            template.HTML
}

// HTML writes the report of r as one self-contained HTML page: the same
// tables as the markdown report and the charts as inline SVG. It loads
// nothing from the network when viewed.
func HTML(w io.Writer, r *results.Results, opts Options) error {
	charts, err := Charts(r)
	if err != nil {
		return err
	}
	byName := map[string]htmlChart{}
	for _, c := range charts {
		byName[c.Name] = htmlChart{Title: c.Title, Caption: c.Caption, SVG: template.HTML(inlineSVG(c.SVG))}
	}
	return writeHTMLDocument(w, buildDocument(r, opts), byName)
}

func toHTMLSection(s *section, depth int, charts map[string]htmlChart) htmlSection {
	hs := htmlSection{ID: s.ID, Title: s.Title, Depth: depth, Collapsed: s.Collapsed}
	for _, p := range s.Paras {
		hs.Paras = append(hs.Paras, htmlPara(p))
	}
	for _, t := range s.Tables {
		ht := htmlTable{Notes: t.Notes}
		for i, h := range t.Header {
			ht.Header = append(ht.Header, htmlCell{Text: h, Num: t.Right[i]})
		}
		for _, row := range t.Rows {
			var cells []htmlCell
			for i, c := range row {
				cells = append(cells, htmlCell{Text: c, Num: t.Right[i], Code: t.Code[i] && c != none && !strings.Contains(c, " ")})
			}
			ht.Rows = append(ht.Rows, cells)
		}
		hs.Tables = append(hs.Tables, ht)
	}
	for _, name := range s.Charts {
		if c, ok := charts[name]; ok {
			hs.Charts = append(hs.Charts, c)
		}
	}
	for _, sub := range s.Sub {
		hs.Sub = append(hs.Sub, toHTMLSection(sub, depth+1, charts))
	}
	return hs
}

// htmlPara escapes a paragraph and turns its `code` spans into <code>.
func htmlPara(p string) template.HTML {
	var b strings.Builder
	for i, part := range strings.Split(p, "`") {
		if i%2 == 1 {
			b.WriteString("<code>" + html.EscapeString(part) + "</code>")
		} else {
			b.WriteString(html.EscapeString(part))
		}
	}
	return template.HTML(b.String())
}

func htmlEscape(s string) string { return html.EscapeString(s) }

// inlineSVG strips the XML prolog and comments before the <svg> element
// so the document can sit inside HTML.
func inlineSVG(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return strings.TrimSpace(s)
}
