package reports

import (
	"io"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// Text writes the report of r as plain-text tables for a terminal.
func Text(w io.Writer, r *results.Results, opts Options) error {
	return page.WriteText(w, buildDocument(r, opts), opts.links())
}
