package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/multifile"
)

// reportFlags are report's flags.
type reportFlags struct {
	outputFlags
	charts string
}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report RESULTS.json ...",
		Short: "render a results file (or several side by side) as markdown, html, text, gobench or csv",
		Long: "Usage: benchctl report RESULTS.json [--format markdown|html|text|gobench|csv] [-o FILE] [--charts DIR]\n" +
			"       benchctl report A.json B.json ... [--format markdown|html|text] [-o FILE]\n\n" +
			"Renders a results file; needs no root and no probes. Several files make one report\n" +
			"across hosts, kernels or commits: their environments and every variant's headline\n" +
			"figures side by side, the differences from the first file marked. gobench, csv and\n" +
			"--charts take one file.",
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	f.register(fs, "report", reports.Formats, reports.FormatMarkdown, "the enter_exit → exit_only comparisons", stats.DefaultAlpha)
	fs.StringVar(&f.charts, "charts", "", "markdown and text: also write the charts as SVG files into `DIR` and link them (html inlines them)")
	return cmd
}

func (f *reportFlags) run(pos []string) error {
	noise, err := f.noise.thresholds(nil)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError("report takes one or more results files, got 0 arguments (see benchctl report -h)")
	}
	if err := f.check(); err != nil {
		return err
	}
	if err := checkReportOutput(f.out, pos); err != nil {
		return err
	}
	if len(pos) > 1 {
		return reportMulti(pos, f.format, f.out, f.charts, f.alpha, noise)
	}
	if f.charts != "" && f.format != reports.FormatMarkdown && f.format != reports.FormatText {
		return usageError("--charts goes with --format markdown or text (html inlines its charts)")
	}
	r, err := results.ReadResults(pos[0])
	if err != nil {
		return usageError("%v", err)
	}
	noise, err = f.noise.thresholds(r.Scenario.Noise)
	if err != nil {
		return err
	}
	r.SetNoiseThresholds(noise)

	opts := reports.Options{Alpha: f.alpha}
	if f.charts != "" {
		paths, err := reports.WriteCharts(f.charts, r)
		if errors.Is(err, atomicfile.ErrNotRegular) {
			return usageError("--charts %s: %v", f.charts, err)
		}
		if err != nil {
			return envError(err)
		}
		opts.ChartLinks = chartLinks(paths, f.out)
	}
	var buf bytes.Buffer
	if err := reports.Render(&buf, r, f.format, opts); err != nil {
		return err
	}
	return writeOutput(f.out, buf.Bytes())
}

// reportMulti renders one report over several results files, in the
// order given: the first is the reference the others are held against.
func reportMulti(paths []string, format, out, charts string, alpha float64, noise results.NoiseThresholds) error {
	if !slices.Contains(multifile.Formats, format) {
		return usageError("--format %s takes one results file, got %d: a report over several files is %s (or run benchctl report once per file)",
			format, len(paths), strings.Join(multifile.Formats, ", "))
	}
	if charts != "" {
		return usageError("--charts takes one results file, got %d: a report over several files has no charts", len(paths))
	}
	files := make([]multifile.ResultsFile, 0, len(paths))
	for _, p := range paths {
		r, err := results.ReadResults(p)
		if err != nil {
			return usageError("%v", err)
		}
		r.SetNoiseThresholds(noise)
		files = append(files, multifile.ResultsFile{Path: p, Results: r})
	}
	var buf bytes.Buffer
	if err := multifile.Render(&buf, files, format, reports.Options{Alpha: alpha}); err != nil {
		return err
	}
	return writeOutput(out, buf.Bytes())
}

// argCount says how many positional arguments there were.
func argCount(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

// chartLinks turns chart paths into links relative to the folder of the
// report file (or the working directory for standard output).
func chartLinks(paths map[string]string, out string) map[string]string {
	links := make(map[string]string, len(paths))
	base := "."
	if out != "" {
		base = filepath.Dir(out)
	}
	for name, p := range paths {
		link := p
		if absP, err := filepath.Abs(p); err == nil {
			if absB, err := filepath.Abs(base); err == nil {
				if rel, err := filepath.Rel(absB, absP); err == nil {
					link = rel
				}
			}
		}
		links[name] = filepath.ToSlash(link)
	}
	return links
}

// writeOutput writes data to path, atomically (a failure leaves the file
// that was there as it was), or to standard output when path is "" or
// "-". A path that is not a regular file is exit code 2 (checkOutput
// refuses it before anything is rendered); a file that cannot be written
// is exit code 3.
func writeOutput(path string, data []byte) error {
	if path == "" || path == "-" {
		if _, err := os.Stdout.Write(data); err != nil {
			return envError(fmt.Errorf("writing output: %w", err))
		}
		return nil
	}
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		if errors.Is(err, atomicfile.ErrNotRegular) {
			return usageError("writing output: %v", err)
		}
		return envError(fmt.Errorf("writing output: %w", err))
	}
	return nil
}
