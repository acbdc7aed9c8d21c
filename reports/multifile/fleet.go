package multifile

import (
	"cmp"
	"fmt"
	"io"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/page"
)

// FleetNode is one node of a fleet run (`benchctl fleet run`): what the
// cluster says of it, what became of its pod, and its results file when
// it produced one.
type FleetNode struct {
	Name string
	// Kernel is the node status' nodeInfo.kernelVersion; InstanceType
	// and Zone its well-known labels, when set.
	Kernel, InstanceType, Zone string
	// Outcome says what became of the node's run in a few words:
	// "complete", or why it is incomplete or has no results.
	Outcome string
	// Path is the node's results file as written; Results its contents,
	// nil when the node produced none.
	Path    string
	Results *results.Results
}

// FleetFormats are the formats of the fleet report.
var FleetFormats = []string{reports.FormatMarkdown, reports.FormatHTML}

// Fleet writes the report of a fleet run in format (markdown or html):
// the nodes and what became of each; per headline figure a node ×
// variant table; the kernel × tracer load matrix over the nodes; then
// the multi-file report over the nodes' results files.
func Fleet(w io.Writer, scenario string, nodes []FleetNode, format string, opts reports.Options) error {
	doc := fleetDocument(scenario, nodes, opts)
	switch format {
	case reports.FormatMarkdown:
		return page.WriteMarkdown(w, doc, nil)
	case reports.FormatHTML:
		return page.WriteHTML(w, doc, nil)
	}
	return fmt.Errorf("fleet report: format %q: want markdown or html", format)
}

func fleetDocument(scenario string, nodes []FleetNode, opts reports.Options) *page.Document {
	doc := &page.Document{Title: "benchctl fleet: " + cmp.Or(scenario, "no results")}
	var files []ResultsFile
	var cols []MatrixColumn
	with := 0
	for _, n := range nodes {
		col := MatrixColumn{Name: n.Name, Results: n.Results, Missing: n.Outcome}
		cols = append(cols, col)
		if n.Results != nil {
			with++
			files = append(files, ResultsFile{Path: n.Path, Results: n.Results})
		}
	}
	doc.Paras = append(doc.Paras, fmt.Sprintf("Scenario `%s` on %s, one privileged pod per node; %s produced a results file.",
		page.SanitizeCode(scenario), page.Plural(len(nodes), "node", "nodes"), page.Plural(with, "node", "nodes")))

	nt := page.NewTable("node", "kernel (node)", "kernel (pod uname)", "instance type", "zone", "outcome", "runs", "results file").AsCode(0, 7)
	for _, n := range nodes {
		uname, runs := page.None, page.None
		if r := n.Results; r != nil {
			uname = cmp.Or(r.Environment.Kernel, page.None)
			runs = fmt.Sprintf("%d (%s measured)", len(r.Runs), page.Plural(r.MeasuredRounds(), "round", "rounds"))
		}
		nt.Add(n.Name, cmp.Or(n.Kernel, page.None), uname, cmp.Or(n.InstanceType, page.None), cmp.Or(n.Zone, page.None),
			cmp.Or(n.Outcome, page.None), runs, cmp.Or(n.Path, page.None))
	}
	doc.Sections = append(doc.Sections, &page.Section{ID: "nodes", Title: "Nodes",
		Paras:  []string{"Each node's kernel as its node status reports it and as the pod's uname saw it, its instance type and zone labels, and what became of its run. An incomplete file holds the runs the node finished before its pod stopped."},
		Tables: []*page.Table{nt}})

	if with == 0 {
		return doc
	}
	doc.Sections = append(doc.Sections, nodeVariantSection(nodes))
	matrix := matrixDocument(cols)
	doc.Sections = append(doc.Sections, &page.Section{ID: "matrix", Title: "Kernel × tracer: who loads where",
		Paras: matrix.Paras, Sub: prefixIDs("matrix-", matrix.Sections)})
	multi := buildMultiDocument(files, opts)
	doc.Sections = append(doc.Sections, &page.Section{ID: "side-by-side", Title: "The nodes side by side",
		Paras: multi.Paras, Sub: prefixIDs("files-", multi.Sections)})
	return doc
}

// nodeVariantSection has one table per headline figure: a row per node,
// a column per traced variant.
func nodeVariantSection(nodes []FleetNode) *page.Section {
	s := &page.Section{ID: "node-variant", Title: "Node × variant",
		Paras: []string{"The headline figures of every traced variant on every node: medians over the node's measured runs, with their 95% confidence interval where there are enough runs."}}
	var variants []string
	seen := map[string]bool{}
	for _, n := range nodes {
		if n.Results == nil {
			continue
		}
		for _, v := range n.Results.Variants {
			if !seen[v.Name] && !v.Baseline && v.Mode != results.ModeNone {
				seen[v.Name] = true
				variants = append(variants, v.Name)
			}
		}
	}
	for _, f := range headlineFigures {
		t := page.NewTable(append([]string{"node"}, variants...)...).AsCode(0)
		for i := range variants {
			t.AlignRight(i + 1)
		}
		showCI := false
		sums := map[string][]*stats.Summary{}
		found := false
		for _, n := range nodes {
			if n.Results == nil {
				continue
			}
			row := make([]*stats.Summary, len(variants))
			for i, v := range variants {
				if x, _ := n.Results.Sample(v, f.measure); len(x) > 0 {
					s := stats.Summarize(x)
					row[i] = &s
					showCI = showCI || s.HasCI()
					found = true
				}
			}
			sums[n.Name] = row
		}
		if !found {
			continue
		}
		c := page.NewCells(showCI)
		for _, n := range nodes {
			row, ok := sums[n.Name]
			if !ok {
				continue
			}
			cells := []string{n.Name}
			for i, v := range variants {
				switch _, has := n.Results.Variant(v); {
				case !has:
					cells = append(cells, missing)
				case row[i] == nil:
					cells = append(cells, cmp.Or(f.noValue, page.None))
				default:
					cells = append(cells, c.Summary(f.measure.Kind, "", *row[i]))
				}
			}
			t.Add(cells...)
		}
		t.Notes = c.Footnotes()
		s.Sub = append(s.Sub, &page.Section{ID: "node-variant-" + f.id, Title: f.title, Tables: []*page.Table{t}})
	}
	if len(s.Sub) == 0 {
		s.Paras = append(s.Paras, "No node has a headline figure for any traced variant.")
	}
	return s
}

// prefixIDs gives sections (and their sub-sections) IDs of their own
// within a larger document.
func prefixIDs(prefix string, ss []*page.Section) []*page.Section {
	for _, s := range ss {
		if s.ID != "" {
			s.ID = prefix + s.ID
		}
		prefixIDs(prefix, s.Sub)
	}
	return ss
}
