package multifile

import (
	"bytes"
	"html"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// fleetNodes are two nodes with results (the golden base and a slower
// head) and one whose pod never ran, their strings from s.
func fleetNodes(t *testing.T, s func(int) string) []FleetNode {
	var out []FleetNode
	for j, name := range []string{"base.json", "head_slow.json"} {
		r := golden.Results(t, name)
		golden.Plant(r, func(n int) string { return s(1000 + n) })
		node := results.NodeInfo{Name: s(10 + j), Kernel: s(20 + j), InstanceType: s(30 + j), Zone: s(40 + j), Pod: s(80 + j), Image: s(90 + j)}
		r.Environment.Node = &node
		results.Derive(r)
		out = append(out, FleetNode{Name: node.Name, Kernel: node.Kernel, InstanceType: node.InstanceType, Zone: node.Zone,
			Outcome: "complete", Path: "out/" + s(50+j) + ".json", Results: r})
	}
	out = append(out, FleetNode{Name: s(12), Kernel: s(22), Outcome: "image not pullable: " + s(60)})
	return out
}

func TestFleetReport(t *testing.T) {
	nodes := fleetNodes(t, golden.Benign)
	var md bytes.Buffer
	if err := Fleet(&md, "ci", nodes, reports.FormatMarkdown, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	for _, want := range []string{
		"# benchctl fleet: ci",
		"on 3 nodes, one privileged pod per node; 2 nodes produced a results file",
		"## Node × variant",
		"## Kernel × tracer: who loads where",
		"## The nodes side by side",
		"labelled by Kubernetes node",
		"image not pullable: benign text 60",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("fleet report lacks %q", want)
		}
	}
	// Every node, with its node kernel, is a row of the nodes table.
	for _, n := range nodes {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "| "+n.Name+" |") && strings.Contains(line, n.Kernel) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row of node %s with kernel %s in:\n%s", n.Name, n.Kernel, out)
		}
	}
	// The node × variant tables have a row per node with results and a
	// column per traced variant of the files.
	i := strings.Index(out, "## Node × variant")
	j := strings.Index(out, "## Kernel × tracer")
	section := out[i:j]
	if !strings.Contains(section, "| benign text 10 |") || !strings.Contains(section, "| benign text 11 |") || strings.Contains(section, "benign text 12") {
		t.Errorf("node × variant: want rows of the two nodes with results only:\n%s", section)
	}
	golden.TablesWellFormed(t, out)

	var h bytes.Buffer
	if err := Fleet(&h, "ci", nodes, reports.FormatHTML, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), html.EscapeString("image not pullable: benign text 60")) {
		t.Error("the HTML report lacks the failed node's outcome")
	}
	if err := Fleet(&h, "ci", nodes, reports.FormatText, reports.Options{}); err == nil {
		t.Error("the fleet report took format text")
	}
}

// TestFleetReportInert: node names, kernels, labels, outcomes and every
// string of the results files are hostile, and the report renders to the
// elements of the benign one, in markdown; in HTML no hostile markup
// survives.
func TestFleetReportInert(t *testing.T) {
	for i := range golden.Hostile {
		t.Run(strings.Fields(golden.Hostile[i])[0], func(t *testing.T) {
			n := len(golden.Hostile)
			render := func(s func(int) string, format string) string {
				var buf bytes.Buffer
				if err := Fleet(&buf, s(7), fleetNodes(t, s), format, reports.Options{}); err != nil {
					t.Fatal(err)
				}
				return buf.String()
			}
			hostile := func(k int) string { return golden.HostileString(i + k*n) }
			benign := func(k int) string { return golden.Benign(i + k*n) }
			md := render(hostile, reports.FormatMarkdown)
			golden.Inert(t, md, render(benign, reports.FormatMarkdown))
			golden.TablesWellFormed(t, md)
			h := render(hostile, reports.FormatHTML)
			for _, bad := range []string{"<script", "<img", "javascript:"} {
				if strings.Contains(strings.ToLower(h), bad) {
					t.Errorf("HTML report holds %q unescaped", bad)
				}
			}
		})
	}
}
