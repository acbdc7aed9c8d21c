package multifile

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/page"
)

// Formats are the formats a report over several results files is
// rendered in. gobench and csv list the runs of one file: render each
// file on its own (benchstat compares gobench files itself).
var Formats = []string{reports.FormatMarkdown, reports.FormatHTML, reports.FormatText}

// ResultsFile is one results file of a report over several.
type ResultsFile struct {
	// Path is where the file was read from. Its base name labels the
	// file when host and kernel do not tell the files apart.
	Path    string
	Results *results.Results
}

// What a multi-file report marks: a figure that differs from the
// reference file's (the first) by more than MinChange percent, or
// MinPoints percentage points for figures that are percentages
// (overhead), and whose runs differ significantly from the reference's
// (Mann-Whitney U, as compare tests). With fewer than
// stats.MinSamplesDetect runs on a side no test can be significant, and
// a figure is marked when it differs by more than UntestedFactor
// times (UntestedPoints points) on its own. An enter_exit →
// exit_only change is marked when it differs from the reference's by
// more than PairPoints percentage points and either of the two is
// significant in its own file.
const (
	MinChange      = 10.0
	MinPoints      = 2.0
	UntestedFactor = 2.0
	UntestedPoints = 10.0
	PairPoints     = 10.0
)

// Marks of a figure beyond the rule: higher or lower than the reference's.
const (
	markHigher = "▲"
	markLower  = "▼"
)

// missing is the cell of a variant or pair that a file lacks.
const missing = "missing"

// Render writes one report over several results files in format
// (one of Formats) to w: their environments side by side, then for
// every variant and every enter_exit → exit_only pair the headline
// figures of each file, the differences from the first file marked.
// opts.ChartLinks is ignored: the report has no charts.
func Render(w io.Writer, files []ResultsFile, format string, opts reports.Options) error {
	if len(files) == 0 {
		return fmt.Errorf("rendering report: no results files")
	}
	if format != "" && !slices.Contains(Formats, format) {
		if slices.Contains(reports.Formats, format) {
			return fmt.Errorf("rendering report: format %s takes one results file, not %d (several files: %s)", format, len(files), strings.Join(Formats, ", "))
		}
		return fmt.Errorf("rendering report: unknown format %q (valid for several files: %s)", format, strings.Join(Formats, ", "))
	}
	doc := buildMultiDocument(files, opts)
	switch format {
	case reports.FormatHTML:
		return page.WriteHTML(w, doc, nil)
	case reports.FormatText:
		return page.WriteText(w, doc, nil)
	}
	return page.WriteMarkdown(w, doc, nil)
}

// multi is what the sections of a multi-file report share.
type multi struct {
	files  []ResultsFile
	labels []string
	opts   reports.Options
	// variants are the names of every file's variants, in the order they
	// first appear (the first file's first).
	variants []string
	// marked counts the figures marked against the reference.
	marked int
}

func (m *multi) ref() *results.Results { return m.files[0].Results }

// has tells whether file i has the variant named name.
func (m *multi) has(i int, name string) bool {
	_, ok := m.files[i].Results.Variant(name)
	return ok
}

// fileLabels labels each file by the Kubernetes node it was measured on
// (fleet runs); else by its host and kernel; when two files share both,
// by their base names without .json; when those collide too, by their
// paths as given. Files still alike get their position.
func fileLabels(files []ResultsFile) []string {
	unique := func(labels []string) bool {
		seen := map[string]bool{}
		for _, l := range labels {
			if l == "" || seen[l] {
				return false
			}
			seen[l] = true
		}
		return true
	}
	hostKernel := make([]string, len(files))
	base := make([]string, len(files))
	path := make([]string, len(files))
	node := make([]string, len(files))
	for i, f := range files {
		e := f.Results.Environment
		node[i] = nodeName(f.Results)
		hostKernel[i] = strings.TrimSpace(e.Hostname + " " + e.Kernel)
		base[i] = strings.TrimSuffix(filepath.Base(f.Path), ".json")
		path[i] = f.Path
	}
	for _, labels := range [][]string{node, hostKernel, base, path} {
		if unique(labels) {
			return labels
		}
	}
	out := make([]string, len(files))
	for i := range files {
		out[i] = fmt.Sprintf("%s #%d", cmp.Or(base[i], "file"), i+1)
	}
	return out
}

// buildMultiDocument turns several results files into one report's
// sections.
func buildMultiDocument(files []ResultsFile, opts reports.Options) *page.Document {
	m := &multi{files: files, labels: fileLabels(files), opts: opts}
	seen := map[string]bool{}
	for _, f := range files {
		for _, v := range f.Results.Variants {
			if !seen[v.Name] {
				seen[v.Name] = true
				m.variants = append(m.variants, v.Name)
			}
		}
	}
	doc := &page.Document{}
	names := scenarioNames(files)
	if len(names) == 1 {
		doc.Title = fmt.Sprintf("benchctl report: %s, %d results files", names[0], len(files))
	} else {
		doc.Title = fmt.Sprintf("benchctl report: %d results files", len(files))
	}
	doc.Sections = append(doc.Sections, m.environmentSection())
	for _, f := range headlineFigures {
		if fs := m.figureSection(f); fs != nil {
			doc.Sections = append(doc.Sections, fs)
		}
	}
	doc.Sections = append(doc.Sections, m.pairsSection())
	// The introduction counts the marks, so it comes last.
	doc.Paras = m.introParas(names)
	return doc
}

// scenarioNames returns the distinct scenario names of files, in order.
func scenarioNames(files []ResultsFile) []string {
	var out []string
	for _, f := range files {
		if n := f.Results.Scenario.Name; !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func (m *multi) introParas(names []string) []string {
	out := []string{m.labelPara()}
	out = append(out, m.scenarioWarnings(names)...)
	out = append(out, m.figuresParas()...)
	out = append(out, m.fileWarnings()...)
	if p := m.lackingPara(); p != "" {
		out = append(out, p)
	}
	return out
}

// labelPara says what labels the files and which is the reference.
func (m *multi) labelPara() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d results files side by side, labelled by ", len(m.files))
	e := m.ref().Environment
	switch m.labels[0] {
	case nodeName(m.ref()):
		b.WriteString("Kubernetes node")
	case strings.TrimSpace(e.Hostname + " " + e.Kernel):
		b.WriteString("host and kernel")
	case strings.TrimSuffix(filepath.Base(m.files[0].Path), ".json"):
		b.WriteString("file name, since host and kernel do not tell them apart")
	case m.files[0].Path:
		b.WriteString("path, since neither host and kernel nor file names tell them apart")
	default:
		b.WriteString("file name and position, since nothing else tells them apart")
	}
	fmt.Fprintf(&b, ". The first, `%s`, is the reference the others are held against.", page.SanitizeCode(m.labels[0]))
	return b.String()
}

// scenarioWarnings warns of files from other scenarios, or from other
// versions of one scenario.
func (m *multi) scenarioWarnings(names []string) []string {
	sc := m.ref().Scenario
	if len(names) > 1 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = "`" + page.SanitizeCode(n) + "`"
		}
		return []string{"Warning: these files come from different scenarios (" + strings.Join(quoted, ", ") +
			"). Variants are matched by name only: the same name may stand for another workload or syscall set in each file."}
	}
	for _, f := range m.files[1:] {
		o := f.Results.Scenario
		if o.SHA256 != sc.SHA256 || o.Workload != sc.Workload {
			return []string{fmt.Sprintf("Warning: the files all ran scenario `%s`, but not the same version of it (its sha256 or workload differs, see the environments): "+
				"variants are matched by name.", page.SanitizeCode(sc.Name))}
		}
	}
	return nil
}

// figuresParas says what the figures are, when one is marked, and how
// many are.
func (m *multi) figuresParas() []string {
	ci := false
	for _, f := range m.files {
		ci = ci || page.AnyCI(f.Results.SummarizeVariants())
	}
	figures := "Figures are medians over each file's measured runs"
	if ci {
		figures += fmt.Sprintf(" with their 95%% confidence interval (±∞: fewer than %d runs)", stats.MinSamplesCI)
	} else {
		figures += fmt.Sprintf(" (no variant of any file has the %d runs a 95%% confidence interval of a median needs)", stats.MinSamplesCI)
	}
	out := []string{figures + ". " + m.ruleText()}
	if m.marked == 0 {
		return append(out, "No figure differs from the reference's by that rule.")
	}
	verb := "differ"
	if m.marked == 1 {
		verb = "differs"
	}
	return append(out, fmt.Sprintf("%s %s from the reference's by that rule.", page.Plural(m.marked, "figure", "figures"), verb))
}

// fileWarnings warns of incomplete files, failed runs and emulated CPUs.
func (m *multi) fileWarnings() []string {
	var out []string
	for i, f := range m.files {
		r := f.Results
		l := page.SanitizeCode(m.labels[i])
		if !r.Complete {
			out = append(out, fmt.Sprintf("Warning: `%s` is an incomplete run (%s); some variants may have fewer runs.", l, page.SanitizeCode(cmp.Or(r.Reason, "no reason recorded"))))
		}
		failed := 0
		for _, v := range r.Variants {
			n, _ := r.FailedRuns(v.Name)
			failed += n
		}
		if failed > 0 {
			verb := "was"
			if failed > 1 {
				verb = "were"
			}
			out = append(out, fmt.Sprintf("Warning: in `%s`, %s failed and %s left out (see its own report).", l, page.Plural(failed, "run", "runs"), verb))
		}
		if strings.HasPrefix(r.Environment.Guest, "qemu-tcg") {
			out = append(out, fmt.Sprintf("TCG: `%s` was measured in a QEMU guest whose CPU was emulated: only its functional figures (events) mean something, not its times or overheads.", l))
		}
	}
	return out
}

// lackingPara names the variants some files lack, or is empty.
func (m *multi) lackingPara() string {
	var lacking []string
	for _, name := range m.variants {
		var without []string
		for i := range m.files {
			if !m.has(i, name) {
				without = append(without, "`"+page.SanitizeCode(m.labels[i])+"`")
			}
		}
		if len(without) > 0 {
			lacking = append(lacking, fmt.Sprintf("`%s` (missing from %s)", page.SanitizeCode(name), strings.Join(without, ", ")))
		}
	}
	if len(lacking) == 0 {
		return ""
	}
	return "Not in every file: " + strings.Join(lacking, "; ") + "."
}

// ruleText states when a figure is marked.
func (m *multi) ruleText() string {
	return fmt.Sprintf("%s / %s mark a figure higher / lower than the reference file's by more than %g%% "+
		"(percentages such as overhead: by more than %g percentage points) whose runs also differ significantly from the reference's "+
		"(Mann-Whitney U at alpha %g, as `benchctl compare` tests). With fewer than %d runs on a side, where no test can tell, "+
		"a figure is marked when it differs by more than %g× (%g points) on its own. "+
		"An enter_exit → exit_only change is marked when it differs from the reference's by more than %g percentage points and either of the two is significant.",
		markHigher, markLower, MinChange, MinPoints, m.opts.SignificanceLevel(), stats.MinSamplesDetect,
		UntestedFactor, UntestedPoints, PairPoints)
}

// An envRow is one row of the environments' table: a property, read
// from each file.
type envRow struct {
	name string
	get  func(r *results.Results, path string) string
	// alwaysDiffers rows are left out of the list of what differs.
	alwaysDiffers bool
}

// envRows are the environments' table, in order.
func envRows() []envRow {
	return []envRow{
		{name: "file", alwaysDiffers: true, get: func(_ *results.Results, path string) string { return filepath.Base(path) }},
		{name: "scenario", get: func(r *results.Results, _ string) string {
			s := r.Scenario.Name
			if len(r.Scenario.SHA256) >= 12 {
				s += " (sha256 " + r.Scenario.SHA256[:12] + ")"
			}
			return s
		}},
		{name: "workload", get: func(r *results.Results, _ string) string { return r.Scenario.Workload }},
		{name: "runs", get: func(r *results.Results, _ string) string {
			s := fmt.Sprintf("%s × %s", page.Plural(r.MeasuredRounds(), "round", "rounds"), page.Plural(len(r.Variants), "variant", "variants"))
			if !r.Complete {
				s += ", incomplete"
			}
			return s
		}},
		{name: "kernel", get: func(r *results.Results, _ string) string { return r.Environment.Kernel }},
		{name: "arch", get: func(r *results.Results, _ string) string { return r.Environment.Arch }},
		{name: "CPU model", get: func(r *results.Results, _ string) string { return r.Environment.CPUModel }},
		{name: "CPUs", get: func(r *results.Results, _ string) string {
			if r.Environment.CPUs <= 0 {
				return ""
			}
			return fmt.Sprint(r.Environment.CPUs)
		}},
		{name: "memory", get: func(r *results.Results, _ string) string {
			if r.Environment.MemoryBytes == 0 {
				return ""
			}
			return fmt.Sprintf("%.1f GiB", float64(r.Environment.MemoryBytes)/(1<<30))
		}},
		{name: "clock source", get: func(r *results.Results, _ string) string { return r.Environment.ClockSource }},
		{name: "host", get: func(r *results.Results, _ string) string { return r.Environment.Hostname }},
		{name: "guest", get: func(r *results.Results, _ string) string { return r.Environment.Guest }},
		{name: "node", get: func(r *results.Results, _ string) string { return nodeName(r) }},
		{name: "node kernel", get: func(r *results.Results, _ string) string {
			return nodeField(r, func(n *results.NodeInfo) string { return n.Kernel })
		}},
		{name: "instance type", get: func(r *results.Results, _ string) string {
			return nodeField(r, func(n *results.NodeInfo) string { return n.InstanceType })
		}},
		{name: "zone", get: func(r *results.Results, _ string) string {
			return nodeField(r, func(n *results.NodeInfo) string { return n.Zone })
		}},
		{name: "program stats", get: func(r *results.Results, _ string) string { return r.Environment.StatsMethod }},
		{name: "instructions retired", get: func(r *results.Results, _ string) string { return r.Environment.Instructions }},
		{name: "benchctl", get: func(r *results.Results, _ string) string {
			e := r.Environment
			c := e.BenchctlCommit
			if len(c) > 12 {
				c = c[:12]
			}
			if c == "" {
				return e.BenchctlVersion
			}
			return strings.TrimSpace(e.BenchctlVersion + " (" + c + ")")
		}},
		{name: "Go", get: func(r *results.Results, _ string) string { return r.Environment.GoVersion }},
		{name: "date", alwaysDiffers: true, get: func(r *results.Results, _ string) string {
			when := r.Started
			if when.IsZero() {
				when = r.Environment.Time
			}
			if when.IsZero() {
				return ""
			}
			return when.UTC().Format("2006-01-02 15:04 MST")
		}},
	}
}

// environmentSection puts the files' environments side by side.
func (m *multi) environmentSection() *page.Section {
	header := append([]string{"property"}, m.labels...)
	t := page.NewTable(header...)
	var differ []string
	for _, rw := range envRows() {
		cells := make([]string, len(m.files))
		empty := true
		for i, f := range m.files {
			cells[i] = rw.get(f.Results, f.Path)
			empty = empty && cells[i] == ""
		}
		if empty {
			continue
		}
		if !rw.alwaysDiffers {
			for _, c := range cells[1:] {
				if c != cells[0] {
					differ = append(differ, rw.name)
					break
				}
			}
		}
		for i, c := range cells {
			if c == "" {
				cells[i] = page.None
			}
		}
		t.Add(append([]string{rw.name}, cells...)...)
	}
	s := &page.Section{ID: "environments", Title: "Environments", Tables: []*page.Table{t}}
	if len(differ) == 0 {
		s.Paras = append(s.Paras, "The files differ in nothing recorded but their dates.")
	} else {
		s.Paras = append(s.Paras, "The files differ in: "+strings.Join(differ, ", ")+".")
	}
	return s
}

// A headlineFigure is one figure the report puts side by side per
// variant.
type headlineFigure struct {
	id, title, intro string
	measure          results.Measure
	// optional figures are left out when no file has them (files
	// written before they were measured).
	optional bool
	// noValue is what a cell of a file that has the variant but not the
	// figure says: page.None unless set.
	noValue string
}

var headlineFigures = func() []headlineFigure {
	ns, _ := results.MeasureByKey("ns_per_syscall")
	ev, _ := results.MeasureByKey("events_per_syscall")
	ov, _ := results.GateMeasure("overhead")
	cpu, _ := results.GateMeasure("cpu_per_op_change")
	peak, _ := results.MeasureByKey("tracer_memory")
	mean, _ := results.MeasureByKey("tracer_memory_mean")
	bpfMem, _ := results.MeasureByKey("bpf_memory")
	return []headlineFigure{
		{id: "ns-per-syscall", title: "Kernel ns per syscall", measure: ns,
			intro: "Run time of all attached programs per syscall the machine made: the tracer's kernel cost, comparable across workloads (absolute times travel between machines only as far as their CPUs do)."},
		{id: "events-per-syscall", title: "Events per syscall", measure: ev,
			intro: "Events that reached userspace per syscall the machine made."},
		{id: "overhead", title: "Throughput overhead", measure: ov,
			intro: "Workload throughput lost against the baseline run of the same round, in percent."},
		{id: "cpu-per-op", title: "CPU per unit of work against the baseline", measure: cpu, optional: true,
			intro: "The workload's and the tracer's CPU time per unit of work against the workload's in the baseline run of the same round, in percent (positive: more CPU)."},
		{id: "memory-peak", title: "Memory: tracer peak", measure: peak, optional: true, noValue: reports.NotMeasured,
			intro: "The tracer's peak userspace memory: the kernel's peak of its memory cgroup (memory.peak on cgroup v2, memory.max_usage_in_bytes of a v1 memory cgroup), else the sum of its processes' sampled VmHWM; benchctl's own probes: its process's VmHWM over the run. Each file's report says which (Memory section); files written before issue 33 summed VmHWM of the processes alive at ready and at stop only, which may be low. \"" + reports.NotMeasured + "\": the file has no figure for the variant."},
		{id: "memory-mean", title: "Memory: tracer mean resident", measure: mean, optional: true, noValue: reports.NotMeasured,
			intro: "The mean of the tracer's resident memory sampled every 100 ms over the workload (its memory cgroup's charge, or its processes' VmRSS; benchctl's own: its process's VmRSS). \"" + reports.NotMeasured + "\": the file has no figure for the variant (files written before it was sampled)."},
		{id: "memory-bpf", title: "Memory: tracer's BPF objects (kernel)", measure: bpfMem, optional: true, noValue: reports.NotMeasured,
			intro: "What the tracer held in the kernel through BPF, read when it was ready: the memlock of the programs and maps its processes held, of the maps held only inside its maps of maps (Falco's per-CPU ring buffers) and the perf buffers it mapped. \"" + reports.NotMeasured + "\": the file has no figure for the variant, or its kernel (before 6.4) gives only an estimate."},
	}
}()

// sample returns file i's values of measure for the variant named name.
func (m *multi) sample(i int, name string, measure results.Measure) []float64 {
	v, _ := m.files[i].Results.Sample(name, measure)
	return v
}

// figureSection puts one headline figure of every traced variant side by
// side, one column per file.
func (m *multi) figureSection(f headlineFigure) *page.Section {
	s := &page.Section{ID: f.id, Title: f.title, Paras: []string{f.intro}}
	header := append([]string{"variant"}, m.labels...)
	t := page.NewTable(header...).AsCode(0)
	for i := range m.files {
		t.AlignRight(i + 1)
	}
	// Every sample of the table first, to know whether any has a CI.
	samples := map[string][][]float64{}
	summaries := map[string][]stats.Summary{}
	showCI := false
	for _, name := range m.variants {
		per := make([][]float64, len(m.files))
		sums := make([]stats.Summary, len(m.files))
		for i := range m.files {
			if m.has(i, name) {
				per[i] = m.sample(i, name, f.measure)
				sums[i] = stats.Summarize(per[i])
				showCI = showCI || sums[i].HasCI()
			}
		}
		samples[name], summaries[name] = per, sums
	}
	c := page.NewCells(showCI)
	for _, name := range m.variants {
		if m.untraced(name) {
			continue
		}
		per := samples[name]
		row := []string{name}
		anyValue := false
		for i := range m.files {
			switch {
			case !m.has(i, name):
				row = append(row, missing)
			case len(per[i]) == 0:
				row = append(row, cmp.Or(f.noValue, page.None))
			default:
				anyValue = true
				cell := c.Summary(f.measure.Kind, "", summaries[name][i])
				if i > 0 && len(per[0]) > 0 {
					if mark := m.markFigure(f.measure.Kind, per[0], per[i]); mark != "" {
						cell += " " + mark
					}
				}
				row = append(row, cell)
			}
		}
		if anyValue {
			t.Add(row...)
		}
	}
	if len(t.Rows) == 0 {
		if f.optional {
			return nil
		}
		s.Paras = append(s.Paras, "No file has this figure for any variant.")
		return s
	}
	t.Notes = c.Footnotes()
	s.Tables = append(s.Tables, t)
	return s
}

// untraced tells whether the variant named name is a baseline in the
// first file that has it: baselines have no headline figures.
func (m *multi) untraced(name string) bool {
	for _, f := range m.files {
		if v, ok := f.Results.Variant(name); ok {
			return v.Baseline || v.Mode == results.ModeNone
		}
	}
	return true
}

// markFigure returns the mark of a figure whose runs are x against the
// reference's runs ref, or "" when the rule does not mark it. It counts
// the marks it gives.
func (m *multi) markFigure(k results.Kind, ref, x []float64) string {
	d := stats.CompareSamples(ref, x, m.opts.SignificanceLevel())
	a, b := d.Base.Median, d.Head.Median
	tested := len(ref) >= stats.MinSamplesDetect && len(x) >= stats.MinSamplesDetect
	beyond := false
	if k == results.KindPercent {
		diff := math.Abs(b - a)
		if tested {
			beyond = diff > MinPoints && d.Significant
		} else {
			beyond = diff > UntestedPoints
		}
	} else {
		if tested {
			beyond = math.Abs(d.ChangePct()) > MinChange && d.Significant
		} else {
			lo, hi := math.Min(math.Abs(a), math.Abs(b)), math.Max(math.Abs(a), math.Abs(b))
			beyond = hi > UntestedFactor*lo && hi > 0
		}
	}
	return m.count(beyond, b > a)
}

// count returns the mark of a figure that is beyond the rule (higher or
// lower than the reference's), "" for one that is not, and counts marks.
func (m *multi) count(beyond, higher bool) string {
	if !beyond {
		return ""
	}
	m.marked++
	if higher {
		return markHigher
	}
	return markLower
}

// pairKey identifies an enter_exit → exit_only pair across files.
func pairKey(p results.VariantPair) string { return p.EnterExit.Name + " → " + p.ExitOnly.Name }

// pairsSection puts, for every enter_exit → exit_only pair of any file,
// what exit_only changes in each file side by side.
func (m *multi) pairsSection() *page.Section {
	s := &page.Section{ID: "enter-exit-vs-exit-only", Title: "enter_exit → exit_only"}
	perFile := make([]map[string]results.PairComparison, len(m.files))
	var keys []string
	first := map[string]results.PairComparison{}
	for i, f := range m.files {
		perFile[i] = map[string]results.PairComparison{}
		for _, pc := range f.Results.ComparePairs(m.opts.SignificanceLevel()) {
			k := pairKey(pc.VariantPair)
			perFile[i][k] = pc
			if _, ok := first[k]; !ok {
				first[k] = pc
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		s.Paras = append(s.Paras, "No file has a syscall set with both an enter_exit and an exit_only variant with the same stats setting.")
		return s
	}
	s.Paras = append(s.Paras, "For every syscall set, what dropping the sys_enter program changes in each file: the change of the medians, exit_only against enter_exit, "+
		"measured in the same rounds of that file; `~` marks a change that is not significant in its file (Mann-Whitney U at alpha "+fmt.Sprint(m.opts.SignificanceLevel())+").")
	for _, k := range keys {
		pc := first[k]
		sub := &page.Section{ID: "pair-" + page.Slug(pc.ExitOnly.Name), Title: fmt.Sprintf("%s: enter_exit → %s", pc.Set, page.ModeLabel(pc.ExitOnly))}
		sub.Paras = append(sub.Paras, fmt.Sprintf("`%s` against `%s`.", page.SanitizeCode(pc.ExitOnly.Name), page.SanitizeCode(pc.EnterExit.Name)))
		header := append([]string{"metric"}, m.labels...)
		t := page.NewTable(header...)
		for i := range m.files {
			t.AlignRight(i + 1)
		}
		c := page.NewCells(true)
		for _, key := range results.PairMeasures {
			measure, _ := results.MeasureByKey(key)
			row := []string{measure.Label}
			anyValue := false
			var ref *results.MeasureDelta
			for i := range m.files {
				pc, ok := perFile[i][k]
				if !ok {
					row = append(row, missing)
					continue
				}
				d, ok := pairDelta(pc, key)
				if !ok {
					row = append(row, page.None)
					continue
				}
				anyValue = true
				cell := numfmt.SignedPercent(d.ChangePct())
				if !d.Significant {
					cell += " ~"
				}
				cell += c.Notes.Marks(d.Warnings)
				if i == 0 {
					ref = &d
				} else if ref != nil {
					diff := d.ChangePct() - ref.ChangePct()
					if mark := m.count(math.Abs(diff) > PairPoints && (d.Significant || ref.Significant), diff > 0); mark != "" {
						cell += " " + mark
					}
				}
				row = append(row, cell)
			}
			if anyValue {
				t.Add(row...)
			}
		}
		t.Notes = c.Footnotes()
		sub.Tables = append(sub.Tables, t)
		s.Sub = append(s.Sub, sub)
	}
	return s
}

// pairDelta returns the delta of the measure with key in pc.
func pairDelta(pc results.PairComparison, key string) (results.MeasureDelta, bool) {
	for _, d := range pc.Deltas {
		if d.Measure.Key == key {
			return d, true
		}
	}
	return results.MeasureDelta{}, false
}

// nodeName is the Kubernetes node r was measured on, or "".
func nodeName(r *results.Results) string {
	return nodeField(r, func(n *results.NodeInfo) string { return n.Name })
}

// nodeField is one field of r's node, or "" when r has none.
func nodeField(r *results.Results, get func(*results.NodeInfo) string) string {
	if r.Environment.Node == nil {
		return ""
	}
	return get(r.Environment.Node)
}
