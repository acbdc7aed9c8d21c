package multifile

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/page"
)

// MatrixColumn is one kernel of a matrix: its results file, or why there
// is none.
type MatrixColumn struct {
	// Name labels the column, e.g. "host" or "6.1"; the kernel release
	// from the results file is added to it.
	Name    string
	Results *results.Results
	// Missing says why there are no results (the run failed to start,
	// the guest did not boot); set when Results is nil.
	Missing string
}

// matrixTopPrograms is how many of each tracer's largest programs the
// matrix lists.
const matrixTopPrograms = 3

// Matrix writes one report over the same scenario on several kernels, in
// markdown or text: per variant × kernel, whether it loaded (and the
// verifier instructions of its largest program) or why the kernel refused
// it; its headline overhead figures (marked as not timings in TCG
// guests); and its largest programs' verified instructions on each kernel.
func Matrix(w io.Writer, cols []MatrixColumn, format string) error {
	if format != reports.FormatMarkdown && format != reports.FormatText {
		return fmt.Errorf("matrix: format %q: want markdown or text", format)
	}
	doc := matrixDocument(cols)
	ew := page.NewWriter(w)
	if format == reports.FormatMarkdown {
		ew.Printf("# %s\n\n", page.MDText(doc.Title))
		for _, p := range doc.Paras {
			ew.Println(page.MDPara(p))
			ew.Println("")
		}
		for _, s := range doc.Sections {
			ew.MarkdownSection(s, 2, nil)
		}
		return ew.Err()
	}
	ew.Println(doc.Title)
	ew.Println(strings.Repeat("=", len([]rune(doc.Title))))
	ew.Println("")
	for _, p := range doc.Paras {
		ew.Println(page.Wrap(page.PlainPara(p), 100))
		ew.Println("")
	}
	for _, s := range doc.Sections {
		ew.TextSection(s, 1, nil)
	}
	return ew.Err()
}

// columnHeader names a column: its name and kernel, and TCG when timings
// are not timings.
func columnHeader(c MatrixColumn) string {
	if c.Results == nil {
		return c.Name
	}
	h := c.Name
	if k := c.Results.Environment.Kernel; k != "" && k != c.Name {
		h += " (" + k + ")"
	}
	if strings.HasPrefix(c.Results.Environment.Guest, "qemu-tcg") {
		h += " [TCG]"
	}
	return h
}

func matrixDocument(cols []MatrixColumn) *page.Document {
	var scenario string
	var order []string // variant names in the first file's order, then new ones
	seen := map[string]bool{}
	anyTCG := false
	for _, c := range cols {
		if c.Results == nil {
			continue
		}
		if scenario == "" {
			scenario = c.Results.Scenario.Name
		}
		if strings.HasPrefix(c.Results.Environment.Guest, "qemu-tcg") {
			anyTCG = true
		}
		for _, v := range c.Results.Variants {
			if !seen[v.Name] && !v.Baseline {
				seen[v.Name] = true
				order = append(order, v.Name)
			}
		}
	}
	doc := &page.Document{Title: "benchctl matrix: " + cmp.Or(scenario, "no results")}
	var kernels []string
	for _, c := range cols {
		kernels = append(kernels, columnHeader(c))
	}
	doc.Paras = append(doc.Paras, fmt.Sprintf("Scenario `%s` on %s: %s.", page.SanitizeCode(scenario), page.Plural(len(cols), "kernel", "kernels"), page.SanitizeCode(strings.Join(kernels, ", "))))
	if anyTCG {
		doc.Paras = append(doc.Paras, "[TCG]: a QEMU guest with an emulated CPU. Its timings are not timings: its overhead figures say that the tracer ran, not what it costs. Whether it loads, and its verified instructions, are exact on every kernel.")
	}
	for _, c := range cols {
		if c.Results == nil {
			doc.Paras = append(doc.Paras, fmt.Sprintf("`%s`: no results: `%s`", page.SanitizeCode(c.Name), page.SanitizeCode(c.Missing)))
		}
	}

	header := append([]string{"variant"}, kernels...)
	loads := page.NewTable(header...).AsCode(0)
	loadsPara := "Loads: ✅ loaded, with its largest program's verified instructions (share of the 1,000,000 limit); ❌ refused, and why."
	over := page.NewTable(header...).AsCode(0)
	overPara := "Overhead: throughput change against the baseline of the same rounds, and kernel ns per syscall (median of the measured runs)."
	for i := 1; i < len(header); i++ {
		over.Right[i] = true
	}
	progs := page.NewTable(append([]string{"variant", "program"}, kernels...)...).AsCode(0, 1)
	progsPara := fmt.Sprintf("Largest programs: the %d largest of each variant on any kernel, verified instructions on each.", matrixTopPrograms)
	for i := 2; i < len(progs.Header); i++ {
		progs.Right[i] = true
	}
	for _, name := range order {
		lrow, orow := []string{name}, []string{name}
		largest := map[string]uint32{}
		for _, c := range cols {
			lrow = append(lrow, loadCell(c, name))
			orow = append(orow, overheadCell(c, name))
			if c.Results == nil {
				continue
			}
			if l := c.Results.LoadOf(name); l != nil {
				for _, p := range l.Programs {
					largest[p.Name] = max(largest[p.Name], p.VerifiedInsns)
				}
			}
		}
		loads.Add(lrow...)
		over.Add(orow...)
		for _, pn := range topNames(largest, matrixTopPrograms) {
			row := []string{name, pn}
			for _, c := range cols {
				row = append(row, programCell(c, name, pn))
			}
			progs.Add(row...)
		}
	}
	doc.Sections = append(doc.Sections,
		&page.Section{ID: "loads", Title: "Loads", Paras: []string{loadsPara}, Tables: []*page.Table{loads}},
		&page.Section{ID: "overhead", Title: "Overhead", Paras: []string{overPara}, Tables: []*page.Table{over}},
		&page.Section{ID: "largest", Title: "Largest programs", Paras: []string{progsPara}, Tables: []*page.Table{progs}},
	)
	return doc
}

// topNames returns the n names with the largest counts, largest first.
func topNames(counts map[string]uint32, n int) []string {
	var names []string
	for k := range counts {
		names = append(names, k)
	}
	sortByCount(names, counts)
	if len(names) > n {
		names = names[:n]
	}
	return names
}

func sortByCount(names []string, counts map[string]uint32) {
	for i := 1; i < len(names); i++ {
		for j := i; j > 0; j-- {
			a, b := names[j-1], names[j]
			if counts[a] > counts[b] || counts[a] == counts[b] && a < b {
				break
			}
			names[j-1], names[j] = b, a
		}
	}
}

func loadCell(c MatrixColumn, variant string) string {
	if c.Results == nil {
		return page.None
	}
	if _, ok := c.Results.Variant(variant); !ok {
		return "not run"
	}
	l := c.Results.LoadOf(variant)
	if l == nil {
		if n, first := c.Results.FailedRuns(variant); n > 0 {
			return "❌ failed: " + firstLine(first)
		}
		return page.None
	}
	if f := l.Refusal; f != nil {
		return "❌ " + f.String()
	}
	// Loaded, but no run was measured: say why (e.g. it did not stop).
	failed := ""
	if len(c.Results.RunsOf(variant)) == 0 {
		if n, first := c.Results.FailedRuns(variant); n > 0 {
			failed = "; ⚠️ run failed: " + firstLine(first)
		}
	}
	progs := l.LargestPrograms()
	if len(progs) == 0 || progs[0].VerifiedInsns == 0 {
		return fmt.Sprintf("✅ %s", page.Plural(len(l.Programs), "program", "programs")) + failed
	}
	return fmt.Sprintf("✅ %s (%s) %s", numfmt.Thousands(float64(progs[0].VerifiedInsns)), page.FormatLimitShare(progs[0]), progs[0].Name) + failed
}

func overheadCell(c MatrixColumn, variant string) string {
	if c.Results == nil {
		return page.None
	}
	if len(c.Results.RunsOf(variant)) == 0 {
		return page.None
	}
	vs := c.Results.SummarizeVariant(variant)
	var parts []string
	if ms, ok := vs.Get("throughput_change"); ok {
		parts = append(parts, page.FormatValue(ms.Measure.Kind, vs.Unit, ms.Median))
	}
	if ms, ok := vs.Get("ns_per_syscall"); ok {
		parts = append(parts, page.FormatValue(ms.Measure.Kind, vs.Unit, ms.Median)+"/syscall")
	}
	if len(parts) == 0 {
		return page.None
	}
	return strings.Join(parts, ", ")
}

func programCell(c MatrixColumn, variant, program string) string {
	if c.Results == nil {
		return page.None
	}
	l := c.Results.LoadOf(variant)
	if l == nil {
		return page.None
	}
	if f := l.Refusal; f != nil {
		if f.Program == program {
			return "refused"
		}
		return page.None
	}
	for _, p := range l.Programs {
		if p.Name == program {
			return numfmt.Thousands(float64(p.VerifiedInsns))
		}
	}
	return page.None
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
