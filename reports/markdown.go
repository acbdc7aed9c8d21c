package reports

import (
	"io"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// Markdown writes the report of r as GitHub-flavoured markdown, readable
// as a pull-request comment or a job summary.
func Markdown(w io.Writer, r *results.Results, opts Options) error {
	return page.WriteMarkdown(w, buildDocument(r, opts), opts.links())
}
