package reports

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestAnatomySection renders the hand-made ladder of
// bench/compare/testdata/anatomy.json (its figures are worked out in
// bench/anatomy_test.go) and checks the section's table and limit.
func TestAnatomySection(t *testing.T) {
	r, err := results.ReadResults(filepath.Join("..", "bench", "compare", "testdata", "anatomy.json"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(render(t, r, FormatMarkdown, Options{}))
	for _, want := range []string{
		"## Where the time goes",
		"| step | enter_exit ns/syscall | overhead | unseen (estimate) | exit_only ns/syscall | overhead | unseen (estimate) |\n" +
			"| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
			"| nothing attached | 0 | 0 | — | 0 | 0 | — |\n" +
			"| empty programs attached | 100 ns (+100 ns) | 20.0 pts (+20.0 pts) | 10.0 pts | 50.0 ns (+50.0 ns) | 12.0 pts (+12.0 pts) | 7.0 pts |\n" +
			"| dispatcher: id, interesting lookup | 120 ns (+20.0 ns) | 22.0 pts (+2.0 pts) | 10.0 pts | — | — | — |\n" +
			"| full fillers (counting consumer) | 300 ns (+180 ns) | 40.0 pts (+18.0 pts) | 10.0 pts | 200 ns (+150 ns) | 30.0 pts (+18.0 pts) | 10.0 pts |\n",
		"that saves at most 15.0 pts of throughput and 160 ns per syscall. `g/exit_only` saves 10.0 pts and 100 ns: 66.7% of the throughput limit and 62.5% of the kernel-time limit.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks:\n%s\n--- section:\n%s", want, mdSection(md, "## Where the time goes"))
		}
	}
	// Without ladder steps there is no such section.
	base, err := results.ReadResults(filepath.Join("..", "bench", "compare", "testdata", "base.json"))
	if err != nil {
		t.Fatal(err)
	}
	if md := string(render(t, base, FormatMarkdown, Options{})); strings.Contains(md, "Where the time goes") {
		t.Error("a report without ladder steps has a cost-anatomy section")
	}
}

// mdSection returns md from the heading on, up to the next "## ".
func mdSection(md, heading string) string {
	i := strings.Index(md, heading)
	if i < 0 {
		return "(no " + heading + ")"
	}
	rest := md[i+len(heading):]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return heading + rest
}
