package page

import (
	_ "embed"
	"html"
	"html/template"
	"strings"
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
	Charts    []HTMLChart
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

// An HTMLChart is a chart as an HTML document shows it: inline SVG under
// its title, with a caption.
type HTMLChart struct {
	Title, Caption string
	SVG            template.HTML
}

func toHTMLSection(s *Section, depth int, charts map[string]HTMLChart) htmlSection {
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
				cells = append(cells, htmlCell{Text: c, Num: t.Right[i], Code: t.Code[i] && c != None && !strings.Contains(c, " ")})
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
