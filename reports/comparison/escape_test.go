package comparison

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestMarkdownComparisonInert: the comparison of two results files whose
// every string from a scenario, a tracer or a results file is hostile
// (the same on both sides) renders to the elements of the same
// comparison made of benign strings, and says nothing GitHub would link.
func TestMarkdownComparisonInert(t *testing.T) {
	for i := range golden.Hostile {
		t.Run(strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
			md := func(s func(int) string) string {
				t.Helper()
				var sides []*results.Results
				for _, name := range []string{"base.json", "head_slow.json"} {
					r := golden.Results(t, name)
					golden.Plant(r, s)
					results.Derive(r)
					sides = append(sides, r)
				}
				c, err := compare.Compare(sides[0], sides[1], compare.CompareOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := Markdown(&buf, c); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			hostile := md(func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) })
			golden.Inert(t, hostile, md(func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) }))
			golden.TablesWellFormed(t, hostile)
		})
	}
}
