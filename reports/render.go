package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/reports/page"
)

// Report formats.
const (
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
	FormatText     = "text"
	FormatGoBench  = "gobench"
	FormatCSV      = "csv"
)

// Formats lists the report formats, the default first.
var Formats = []string{FormatMarkdown, FormatHTML, FormatText, FormatGoBench, FormatCSV}

// Options tune a report.
type Options struct {
	// Alpha is the significance level of the enter_exit → exit_only
	// comparisons; 0 means stats.DefaultAlpha.
	Alpha float64
	// ChartLinks maps chart names (ChartKernelTime, ...) to the path the
	// markdown report links them at, as written by WriteCharts. Charts
	// without a link are left out of a markdown report. HTML reports
	// always inline every chart.
	ChartLinks map[string]string
}

// SignificanceLevel is Alpha, or stats.DefaultAlpha when Alpha is 0.
func (o Options) SignificanceLevel() float64 {
	if o.Alpha > 0 {
		return o.Alpha
	}
	return stats.DefaultAlpha
}

// Render writes the report of r in format (one of Formats) to w.
func Render(w io.Writer, r *results.Results, format string, opts Options) error {
	switch format {
	case FormatMarkdown, "":
		return Markdown(w, r, opts)
	case FormatHTML:
		return HTML(w, r, opts)
	case FormatText:
		return Text(w, r, opts)
	case FormatGoBench:
		return GoBench(w, r)
	case FormatCSV:
		return CSV(w, r)
	}
	return fmt.Errorf("rendering report: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// links are the charts a markdown or text report links: those of
// o.ChartLinks, with their titles.
func (o Options) links() map[string]page.Link {
	out := map[string]page.Link{}
	for name, path := range o.ChartLinks {
		out[name] = page.Link{Title: chartTitles[name], Path: path}
	}
	return out
}
