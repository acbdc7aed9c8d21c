package multifile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestMarkdownMultiInert: the report over several files, whose every
// string from a scenario, a tracer or a results file is hostile (and
// whose file names are), renders to the elements of the same report
// made of benign strings, and says nothing GitHub would link.
func TestMarkdownMultiInert(t *testing.T) {
	for i := range golden.Hostile {
		t.Run(strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
			files := func(s func(int) string) []ResultsFile {
				var out []ResultsFile
				for j, name := range []string{"base.json", "head_slow.json"} {
					r := golden.Results(t, name)
					golden.Plant(r, s)
					results.Derive(r)
					out = append(out, ResultsFile{Path: "results/" + strings.ReplaceAll(s(1000+j), "/", "-") + ".json", Results: r})
				}
				return out
			}
			md := func(files []ResultsFile) string {
				var buf bytes.Buffer
				if err := Render(&buf, files, reports.FormatMarkdown, reports.Options{}); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			hostile := md(files(func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) }))
			benign := md(files(func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) }))
			golden.Inert(t, hostile, benign)
			golden.TablesWellFormed(t, hostile)
		})
	}
}
