package reports

import (
	"html/template"
	"io"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// HTML writes the report of r as one self-contained HTML page: the same
// tables as the markdown report and the charts as inline SVG. It loads
// nothing from the network when viewed.
func HTML(w io.Writer, r *results.Results, opts Options) error {
	charts, err := Charts(r)
	if err != nil {
		return err
	}
	byName := map[string]page.HTMLChart{}
	for _, c := range charts {
		byName[c.Name] = page.HTMLChart{Title: c.Title, Caption: c.Caption, SVG: template.HTML(inlineSVG(c.SVG))}
	}
	return page.WriteHTML(w, buildDocument(r, opts), byName)
}

// inlineSVG strips the XML prolog and comments before the <svg> element
// so the document can sit inside HTML.
func inlineSVG(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return strings.TrimSpace(s)
}
