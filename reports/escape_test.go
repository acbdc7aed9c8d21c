package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestMarkdownReportInert renders reports whose every string from a
// scenario, a tracer or a results file is hostile (headings, @mentions,
// links, images, HTML, fences, pipes, backslashes) through a CommonMark
// parser: each must render to the same elements as the same report with
// benign strings, and its text must hold nothing GitHub links.
func TestMarkdownReportInert(t *testing.T) {
	fixtures := map[string]func(t *testing.T) *results.Results{
		"base": func(t *testing.T) *results.Results { return golden.Results(t, "base.json") },
		"load": func(t *testing.T) *results.Results {
			r, err := results.ReadResults(filepath.Join("testdata", "load-host.json"))
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
	for name, load := range fixtures {
		for i := range golden.Hostile {
			t.Run(name+"/"+strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
				hostile, benign := load(t), load(t)
				golden.Plant(hostile, func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) })
				golden.Plant(benign, func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) })
				results.Derive(hostile)
				results.Derive(benign)
				md := markdownOf(t, hostile)
				golden.Inert(t, md, markdownOf(t, benign))
				golden.TablesWellFormed(t, md)
				if t.Failed() && os.Getenv("BENCHCTL_SHOW_MD") != "" {
					t.Logf("markdown:\n%s", md)
				}
			})
		}
	}
}

func markdownOf(t *testing.T, r *results.Results) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
