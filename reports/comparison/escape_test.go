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

// TestMarkdownFirstLinesInert: the first lines of a comparison of files
// measured apart quote the two sides' kernels, CPUs, workloads and
// machines, and name the figures not computed by variant: hostile
// strings there render as the benign ones do.
func TestMarkdownFirstLinesInert(t *testing.T) {
	for i := range golden.Hostile {
		t.Run(strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
			md := func(s func(int) string) string {
				t.Helper()
				var sides []*results.Results
				for _, name := range []string{"base.json", "head.json"} {
					r := golden.Results(t, name)
					golden.Plant(r, s)
					sides = append(sides, r)
				}
				head := sides[1]
				e := &head.Environment
				e.Kernel, e.CPUModel, e.Guest, head.Scenario.Workload = s(500), s(501), s(502), s(503)
				for j := range head.Runs {
					if head.Runs[j].Variant == head.Variants[3].Name {
						head.Runs[j].Programs = nil
					}
				}
				for _, r := range sides {
					results.Derive(r)
				}
				c, err := compare.Compare(sides[0], head, compare.CompareOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Differences) < 4 || len(c.Missing) == 0 {
					t.Fatalf("differences %d, missing %d: the first lines are not all there", len(c.Differences), len(c.Missing))
				}
				var buf bytes.Buffer
				if err := Markdown(&buf, c); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			hostile := md(func(n int) string { return golden.HostileString(i + n*len(golden.Hostile)) })
			golden.Inert(t, hostile, md(func(n int) string { return golden.Benign(i + n*len(golden.Hostile)) }))
		})
	}
}
