// Package reports renders one benchctl results file for people and for
// CI.
//
// It reads only *results.Results (and the statistics of package bench):
// a report can be re-rendered from a results file at any time, without
// root and without the machine that measured it.
//
// Report formats (Render): markdown for GitHub (pull-request comments,
// job summaries), one self-contained HTML page with inline SVG charts,
// plain-text tables for a terminal, the Go benchmark format so that
// benchstat compares two results files, and CSV with one row per run.
// Charts are drawn with gonum.org/v1/plot and can also be written as SVG
// files (WriteCharts) for a markdown report to link.
//
// The documents are spelled by reports/page. Reports over several
// results files side by side (the multi-file report, the kernel matrix)
// are reports/multifile's; what `benchctl compare` decided is printed by
// reports/comparison.
//
// Output is deterministic: the same results file gives the same bytes,
// so renderers are tested against golden files (go test ./reports
// -update rewrites them).
package reports
