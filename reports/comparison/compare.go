package comparison

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// Comparison formats.
const (
	FormatText            = "text"
	FormatMarkdown        = "markdown"
	FormatJSON            = "json"
	FormatActionBenchmark = "github-action-benchmark"
)

// Formats lists the formats of `benchctl compare`, the default first.
var Formats = []string{FormatText, FormatMarkdown, FormatJSON, FormatActionBenchmark}

// Render writes c in format (one of Formats) to w.
func Render(w io.Writer, c *compare.Comparison, format string) error {
	switch format {
	case FormatText, "":
		return Text(w, c)
	case FormatMarkdown:
		return Markdown(w, c)
	case FormatJSON:
		return JSON(w, c)
	case FormatActionBenchmark:
		return ActionBenchmark(w, c)
	}
	return fmt.Errorf("rendering comparison: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// unitOf is the unit a measure's values are expressed in, for machines.
func unitOf(k results.Kind) string {
	switch k {
	case results.KindDuration:
		return "ns"
	case results.KindBytes:
		return "B"
	case results.KindPercent:
		return "%"
	}
	return ""
}

func comparisonHasCI(c *compare.Comparison) bool {
	for _, r := range c.Rows {
		if r.Base.HasCI() || r.Head.HasCI() {
			return true
		}
	}
	return false
}

func sideLine(s compare.Side) string {
	e := s.Environment
	var parts []string
	ver := e.BenchctlVersion
	if c := e.BenchctlCommit; c != "" {
		if len(c) > 12 {
			c = c[:12]
		}
		ver = strings.TrimSpace(ver + " " + c)
	}
	if ver != "" {
		parts = append(parts, "benchctl "+ver)
	}
	if e.Kernel != "" {
		parts = append(parts, "kernel "+e.Kernel)
	}
	if e.CPUModel != "" {
		cpu := e.CPUModel
		if e.CPUs > 0 {
			cpu += fmt.Sprintf(" × %d", e.CPUs)
		}
		parts = append(parts, cpu)
	}
	if t := s.Tracer; t != nil {
		tr := "tracer " + t.Name
		if t.Executable != "" {
			tr += " " + t.Executable
		}
		if len(t.SHA256) >= 12 {
			tr += " sha256 " + t.SHA256[:12]
		}
		parts = append(parts, tr)
	}
	parts = append(parts, page.Plural(s.Runs, "measured run", "measured runs"))
	if n := noisySideNote(s); n != "" {
		parts = append(parts, n)
	}
	if !s.Complete {
		parts = append(parts, "incomplete")
	}
	return strings.Join(parts, ", ")
}

func thresholdsLine(c *compare.Comparison) string {
	var parts []string
	for _, m := range c.Metrics() {
		unit := "%"
		if gm, ok := results.GateMeasure(m); ok && gm.Kind == results.KindPercent {
			unit = " pts"
		}
		parts = append(parts, fmt.Sprintf("%s %g%s", m, c.Thresholds[m], unit))
	}
	return strings.Join(parts, ", ")
}

func verdictWord(v stats.Verdict, markdown bool) string {
	switch v {
	case stats.VerdictRegression:
		if markdown {
			return "❌ regression"
		}
		return "REGRESSION"
	case stats.VerdictImprovement:
		if markdown {
			return "✅ improvement"
		}
		return "improvement"
	case stats.VerdictInconclusive:
		if markdown {
			return "⚠️ inconclusive"
		}
		return "INCONCLUSIVE"
	}
	return "no change"
}

// testLine says which test decided the rows and how the minimum
// detectable change is found.
func testLine(c *compare.Comparison) string {
	how := fmt.Sprintf("%s test of the two samples of runs (independent measurements)", c.Test())
	if c.Paired {
		how = fmt.Sprintf("%s test of the per-round differences (base and head measured in the same rounds)", c.Test())
	}
	return fmt.Sprintf("decided by the %s at alpha %g; values of runs flagged as noisy are left out. "+
		"\"detectable\" is the smallest change that test would have called in %.0f%% of measurements like these (a bootstrap of the runs' spread): "+
		"a figure is \"no change\" only when it is within the threshold, inconclusive when not.",
		how, c.Alpha, 100*stats.Power)
}

// formatMDC formats a row's minimum detectable change.
func formatMDC(r compare.GateRow) string {
	if math.IsNaN(r.MDC) {
		return page.None
	}
	return compare.FormatAmount(&r, r.MDC)
}

// verdictLines are the gate's outcome, one line per verdict that
// occurred, then the overall line: regressions, inconclusive figures
// (with why), no change (with the largest change that could have gone
// unseen), improvements.
func verdictLines(c *compare.Comparison) []string {
	var lines []string
	list := func(rows []compare.GateRow, item func(compare.GateRow) string) string {
		var parts []string
		for i, r := range rows {
			if i == 4 {
				parts = append(parts, fmt.Sprintf("and %d more", len(rows)-i))
				break
			}
			parts = append(parts, item(r))
		}
		return strings.Join(parts, "; ")
	}
	if regs := c.Regressions(); len(regs) > 0 {
		lines = append(lines, fmt.Sprintf("Regression: %s: %s.", page.Plural(len(regs), "figure", "figures"),
			list(regs, func(r compare.GateRow) string {
				return fmt.Sprintf("%s %s %s", r.Variant, r.Metric, formatRowChange(r, true))
			})))
	}
	if inc := c.Inconclusive(); len(inc) > 0 {
		lines = append(lines, fmt.Sprintf("Inconclusive: %s could not be decided: %s.", page.Plural(len(inc), "figure", "figures"),
			list(inc, func(r compare.GateRow) string { return fmt.Sprintf("%s %s (%s)", r.Variant, r.Metric, r.Reason) })))
	}
	if same := c.NoChange(); len(same) > 0 {
		worst := same[0]
		for _, r := range same {
			if r.MDC/math.Max(r.Threshold, 1e-9) > worst.MDC/math.Max(worst.Threshold, 1e-9) {
				worst = r
			}
		}
		if len(same) == 1 {
			lines = append(lines, fmt.Sprintf("No change: %s %s: no regression larger than %s could have gone unseen (%.0f%% power).",
				worst.Variant, worst.Metric, formatMDC(worst), 100*stats.Power))
		} else {
			lines = append(lines, fmt.Sprintf("No change: %d figures; for each, no regression larger than its \"detectable\" change could have gone unseen (%.0f%% power), at most %s (%s %s, threshold %s).",
				len(same), 100*stats.Power, formatMDC(worst), worst.Variant, worst.Metric, formatThreshold(worst)))
		}
	}
	if imp := c.Improvements(); len(imp) > 0 {
		lines = append(lines, fmt.Sprintf("Improvement: %s: %s.", page.Plural(len(imp), "figure", "figures"),
			list(imp, func(r compare.GateRow) string {
				return fmt.Sprintf("%s %s %s", r.Variant, r.Metric, formatRowChange(r, true))
			})))
	}
	if load := loadSummary(c); len(load) > 0 {
		lines = append(lines, fmt.Sprintf("Load regression: %s.", strings.Join(load, "; ")))
	}
	lines = append(lines, noisyLeftOutLines(c)...)
	return append(lines, summaryLine(c))
}

// firstLines say, before anything else, what decides whether the
// comparison means anything: the ways base and head differ in what they
// measured on (those not allowed make it inconclusive), and the gated
// figures a side could not compute.
func firstLines(c *compare.Comparison) []string {
	var lines []string
	for _, d := range c.Differences {
		if d.Blocks() {
			lines = append(lines, "Not comparable: "+d.String()+".")
		} else {
			lines = append(lines, "Compared across a difference: "+d.String()+".")
		}
	}
	for _, m := range c.Missing {
		lines = append(lines, "Not computed: "+m+".")
	}
	return lines
}

// blockedWhat names the differences that block c, e.g. "kernel, cpu".
func blockedWhat(c *compare.Comparison) string {
	var what []string
	for _, d := range c.Blocked() {
		what = append(what, d.What)
	}
	return strings.Join(what, ", ")
}

// summaryLine is the gate's overall outcome.
func summaryLine(c *compare.Comparison) string {
	n := page.Plural(len(c.Rows), "figure", "figures")
	switch c.Status() {
	case compare.StatusRegression:
		return fmt.Sprintf("FAIL: %s regressed beyond threshold (%s compared).", page.Plural(len(c.Regressions())+len(c.LoadRegressions()), "gated figure", "gated figures"), n)
	case compare.StatusInconclusive:
		if len(c.Blocked()) > 0 {
			return fmt.Sprintf("INCONCLUSIVE: base and head cannot be compared (%s differ); nothing was decided.", blockedWhat(c))
		}
		if len(c.Missing) > 0 {
			return fmt.Sprintf("INCONCLUSIVE: %s could not be computed on a side; the gate cannot pass what it could not compare (--inconclusive pass does not change that).",
				page.Plural(len(c.Missing), "gated figure", "gated figures"))
		}
		if len(c.Rows) == 0 {
			return "INCONCLUSIVE: no gated figure could be compared; nothing was decided."
		}
		return fmt.Sprintf("INCONCLUSIVE: no regression called, but %d of %s could not be decided; measure more rounds or on a quieter machine (or accept with --inconclusive pass).",
			len(c.Inconclusive()), n)
	}
	if k := len(c.Inconclusive()); k > 0 || len(c.Rows) == 0 {
		return fmt.Sprintf("PASS (--inconclusive pass): no regression called; %d of %s could not be decided.", k, n)
	}
	return fmt.Sprintf("PASS: no gated metric regressed beyond its threshold (%s compared, every one decided).", n)
}

// comparisonTable is the rows of a comparison as a table.
func comparisonTable(c *compare.Comparison, markdown bool) *page.Table {
	t := page.NewTable("variant", "metric", "base", "head", "change", "p", "threshold", "detectable", "verdict").AlignRight(2, 3, 4, 5, 6, 7).AsCode(0, 1)
	cl := page.NewCells(comparisonHasCI(c))
	for _, r := range c.Rows {
		k := r.Measure.Kind
		t.Add(r.Variant, r.Metric, cl.Summary(k, "", r.Base), cl.Summary(k, "", r.Head),
			formatRowChange(r, false)+cl.Notes.Marks(r.Warnings), page.FormatP(r.Delta), formatThreshold(r), formatMDC(r), verdictWord(r.Verdict, markdown))
	}
	t.Notes = cl.Footnotes()
	if !cl.ShowCI {
		t.Notes = append([]string{fmt.Sprintf("Medians only: fewer than %d runs per variant, too few samples for a 95%% confidence interval.", stats.MinSamplesCI)}, t.Notes...)
	}
	return t
}

// Text writes c as terminal tables.
func Text(w io.Writer, c *compare.Comparison) error {
	ew := page.NewWriter(w)
	ew.Printf("benchctl compare: scenario %s, alpha %g\n", c.Scenario, c.Alpha)
	for _, l := range firstLines(c) {
		ew.Println(l)
	}
	ew.Println("base: " + sideLine(c.Base))
	ew.Println("head: " + sideLine(c.Head))
	ew.Println("thresholds (change of the median: percent, or percentage points for metrics that are percentages; lower is better): " + thresholdsLine(c))
	ew.Println("test: " + testLine(c))
	ew.Println("")
	ew.TextTable(comparisonTable(c, false))
	if len(c.Load) > 0 {
		ew.Println("")
		ew.Println(loadGateLine(c))
		if lt := loadComparisonTable(c, false); lt != nil {
			ew.TextTable(lt)
		}
	}
	if len(c.Warnings) > 0 {
		ew.Println("")
		ew.Println("Warnings:")
		for _, w := range c.Warnings {
			ew.Println("  " + w)
		}
	}
	ew.Println("")
	for _, l := range verdictLines(c) {
		ew.Println(l)
	}
	return ew.Err()
}

// Markdown writes c as markdown for a pull-request comment or a
// job summary.
func Markdown(w io.Writer, c *compare.Comparison) error {
	ew := page.NewWriter(w)
	status := "✅ no regression"
	switch c.Status() {
	case compare.StatusRegression:
		status = "❌ " + page.Plural(len(c.Regressions())+len(c.LoadRegressions()), "regression", "regressions")
	case compare.StatusInconclusive:
		switch {
		case len(c.Blocked()) > 0:
			status = "⚠️ inconclusive: not comparable (" + blockedWhat(c) + " differ)"
		case len(c.Missing) > 0:
			status = "⚠️ inconclusive: " + page.Plural(len(c.Missing), "figure", "figures") + " not computed"
		default:
			status = "⚠️ inconclusive: " + page.Plural(len(c.Inconclusive()), "figure", "figures") + " undecided"
		}
	default:
		if n := len(c.Inconclusive()); n > 0 {
			status = fmt.Sprintf("✅ no regression (%d undecided, passed by --inconclusive pass)", n)
		}
	}
	ew.Printf("## benchctl compare: %s — %s\n\n", page.MDText(c.Scenario), status)
	if first := firstLines(c); len(first) > 0 {
		for _, l := range first {
			ew.Println("- **" + page.MDText(l) + "**")
		}
		ew.Println("")
	}
	ew.Println(page.MDText("Base: "+sideLine(c.Base)) + ".<br>")
	ew.Println(page.MDText("Head: "+sideLine(c.Head)) + ".<br>")
	ew.Println(page.MDPara(fmt.Sprintf("Gate: a change is a regression when it is significant (%s, p ≤ %g) and beyond its threshold: %s. "+
		"Every gated metric is lower-is-better; `~` is no significant change.", c.Test(), c.Alpha, thresholdsLine(c))))
	ew.Println("")
	ew.Println(page.MDPara("Test: " + testLine(c)))
	ew.Println("")
	ew.MarkdownTable(comparisonTable(c, true))
	if len(c.Load) > 0 {
		ew.Println("")
		ew.Println(page.MDPara(loadGateLine(c) + "."))
		if lt := loadComparisonTable(c, true); lt != nil {
			ew.Println("")
			ew.MarkdownTable(lt)
		}
	}
	if len(c.Warnings) > 0 {
		ew.Println("")
		ew.Println("**Warnings**")
		ew.Println("")
		for _, w := range c.Warnings {
			ew.Println("- " + page.MDText(w))
		}
	}
	ew.Println("")
	lines := verdictLines(c)
	for _, l := range lines[:len(lines)-1] {
		ew.Println("- " + page.MDText(l))
	}
	ew.Println("")
	ew.Println("**" + page.MDText(lines[len(lines)-1]) + "**")
	return ew.Err()
}

type jsonSummary struct {
	Median float64  `json:"median"`
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	Min    float64  `json:"min"`
	Max    float64  `json:"max"`
	N      int      `json:"n"`
}

func toJSONSummary(s stats.Summary) jsonSummary {
	js := jsonSummary{Median: s.Median, Min: s.Min, Max: s.Max, N: s.N}
	if s.HasCI() {
		lo, hi := s.Lo, s.Hi
		js.CILow, js.CIHigh = &lo, &hi
	}
	return js
}

type jsonSide struct {
	Version  string `json:"benchctl_version"`
	Commit   string `json:"benchctl_commit"`
	Kernel   string `json:"kernel"`
	CPUModel string `json:"cpu_model"`
	CPUs     int    `json:"cpus"`
	Complete bool   `json:"complete"`
	Runs     int    `json:"measured_runs"`
	Flagged  int    `json:"flagged_runs,omitempty"`
	// Tracer is the side's tracer build (interleaved base and head):
	// name, command, executable and its SHA-256.
	Tracer *results.TracerProvenance `json:"tracer,omitempty"`
	// BuildSHA256 is the SHA-256 of the benchctl that measured the side.
	BuildSHA256 string `json:"benchctl_sha256,omitempty"`
}

type jsonRow struct {
	Variant   string      `json:"variant"`
	Metric    string      `json:"metric"`
	Unit      string      `json:"unit"`
	Threshold float64     `json:"threshold_pct"`
	Base      jsonSummary `json:"base"`
	Head      jsonSummary `json:"head"`
	ChangePct *float64    `json:"change_pct"` // null when the base median is 0
	// ChangePoints is head − base for metrics that are percentages
	// (overhead, drop_ratio), whose threshold is in points.
	ChangePoints  *float64 `json:"change_points,omitempty"`
	ThresholdUnit string   `json:"threshold_unit"`
	P             float64  `json:"p"`
	Significant   bool     `json:"significant"`
	// Test is the test behind P.
	Test    string `json:"test"`
	Verdict string `json:"verdict"`
	// MDC is the minimum detectable change at Power, in the unit of the
	// threshold; null when infinite or unknown (too few values).
	MDC *float64 `json:"min_detectable_change"`
	// Reason says why an inconclusive figure could not be decided.
	Reason   string   `json:"reason,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Noise is set when either sample holds values of noisy runs.
	Noise *jsonRowNoise `json:"noise,omitempty"`
}

type jsonComparison struct {
	Scenario    string             `json:"scenario"`
	Alpha       float64            `json:"alpha"`
	Thresholds  map[string]float64 `json:"thresholds_pct"`
	Pass        bool               `json:"pass"`
	Status      string             `json:"status"`
	Test        string             `json:"test"`
	Paired      bool               `json:"paired"`
	Power       float64            `json:"power"`
	Regressions int                `json:"regressions"`
	// Inconclusive, NoChange and Improvements count the other verdicts.
	Inconclusive     int      `json:"inconclusive"`
	NoChange         int      `json:"no_change"`
	Improvements     int      `json:"improvements"`
	InconclusivePass bool     `json:"inconclusive_pass"`
	Base             jsonSide `json:"base"`
	Head             jsonSide `json:"head"`
	// Differences are the ways base and head differ in what decides
	// whether they can be compared; one not allowed makes the status
	// inconclusive. Missing are the gated figures a side could not
	// compute, which make it inconclusive too.
	Differences []jsonDifference `json:"differences"`
	Missing     []string         `json:"missing"`
	Rows        []jsonRow        `json:"rows"`
	Warnings    []string         `json:"warnings"`
	// Load is the load gate's rows (verified instructions per program);
	// LoadRegressions counts the failed ones.
	Load            []jsonLoadRow `json:"load,omitempty"`
	LoadRegressions int           `json:"load_regressions,omitempty"`
}

type jsonDifference struct {
	What    string `json:"what"`
	Base    string `json:"base"`
	Head    string `json:"head"`
	Allowed bool   `json:"allowed"`
	Text    string `json:"text"`
}

func toJSONSide(s compare.Side) jsonSide {
	e := s.Environment
	js := jsonSide{Version: e.BenchctlVersion, Commit: e.BenchctlCommit, Kernel: e.Kernel, CPUModel: e.CPUModel,
		CPUs: e.CPUs, Complete: s.Complete, Runs: s.Runs, Flagged: s.Flagged, Tracer: s.Tracer}
	if s.Build != nil {
		js.BuildSHA256 = s.Build.SHA256
	}
	return js
}

// JSON writes c as JSON for machines. Verdicts are
// "regression", "improvement", "no change" and "inconclusive"; status is
// the gate's outcome ("regression", "inconclusive", "pass"), and pass is
// true only for "pass".
func JSON(w io.Writer, c *compare.Comparison) error {
	out := jsonComparison{
		Scenario: c.Scenario, Alpha: c.Alpha, Thresholds: c.Thresholds,
		Pass: c.Status() == compare.StatusPass, Status: string(c.Status()), Test: c.Test(), Paired: c.Paired, Power: stats.Power,
		Regressions: len(c.Regressions()), Inconclusive: len(c.Inconclusive()), NoChange: len(c.NoChange()),
		Improvements: len(c.Improvements()), InconclusivePass: c.InconclusivePass,
		Base: toJSONSide(c.Base), Head: toJSONSide(c.Head),
		Differences: []jsonDifference{}, Missing: append([]string{}, c.Missing...),
		Rows: []jsonRow{}, Warnings: append([]string{}, c.Warnings...),
		Load: toJSONLoadRows(c), LoadRegressions: len(c.LoadRegressions()),
	}
	for _, d := range c.Differences {
		out.Differences = append(out.Differences, jsonDifference{What: d.What, Base: d.Base, Head: d.Head, Allowed: d.Allowed, Text: d.String()})
	}
	for _, r := range c.Rows {
		jr := jsonRow{Variant: r.Variant, Metric: r.Metric, Unit: unitOf(r.Measure.Kind), Threshold: r.Threshold,
			Base: toJSONSummary(r.Base), Head: toJSONSummary(r.Head), P: r.P, Significant: r.Significant,
			Test: r.Test, Verdict: string(r.Verdict), Reason: r.Reason, Warnings: r.Warnings, Noise: toJSONRowNoise(r.Noise)}
		if mdc := r.MDC; !math.IsInf(mdc, 0) && !math.IsNaN(mdc) {
			jr.MDC = &mdc
		}
		if ch := r.ChangePct(); !math.IsInf(ch, 0) && !math.IsNaN(ch) {
			jr.ChangePct = &ch
		}
		if r.InPoints() {
			// Finite medians can still differ by more than a float64
			// holds (±1e308): null, as change_pct is.
			if pts := r.Change(); !math.IsInf(pts, 0) && !math.IsNaN(pts) {
				jr.ChangePoints = &pts
			}
			jr.ThresholdUnit = "points"
		} else {
			jr.ThresholdUnit = "percent"
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	return nil
}

// actionBenchmarkEntry is one entry of github-action-benchmark's
// customSmallerIsBetter input.
type actionBenchmarkEntry struct {
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	Range string  `json:"range,omitempty"`
	Extra string  `json:"extra,omitempty"`
}

// ActionBenchmark writes the head side of c in the
// customSmallerIsBetter shape of github-action-benchmark: one entry
// "<variant> <metric>" per gated figure with the head's median; range is
// the CI half-width when there is one, extra the comparison with base.
func ActionBenchmark(w io.Writer, c *compare.Comparison) error {
	out := []actionBenchmarkEntry{}
	for _, r := range c.Rows {
		e := actionBenchmarkEntry{Name: r.Variant + " " + r.Metric, Unit: unitOf(r.Measure.Kind), Value: r.Head.Median}
		if e.Unit == "" {
			e.Unit = r.Metric
		}
		if r.Head.HasCI() {
			e.Range = "± " + numfmt.Sig3(math.Max(r.Head.Hi-r.Head.Median, r.Head.Median-r.Head.Lo))
		}
		e.Extra = fmt.Sprintf("n=%d; base %s; change %s (%s); threshold %s; detectable %s; %s",
			r.Head.N, page.FormatValue(r.Measure.Kind, "", r.Base.Median), formatRowChange(r, true), page.FormatP(r.Delta), formatThreshold(r), formatMDC(r), r.Verdict)
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	return nil
}

// formatRowChange formats the change a row's verdict judges: percentage
// points for percent metrics, a percent change otherwise; "~" when not
// significant unless always.
func formatRowChange(r compare.GateRow, always bool) string {
	if !r.Significant && !always {
		return "~"
	}
	if r.InPoints() {
		return fmt.Sprintf("%+.1f pts", r.Change())
	}
	return numfmt.SignedPercent(r.ChangePct())
}

// formatThreshold formats a row's threshold in its unit.
func formatThreshold(r compare.GateRow) string {
	if r.InPoints() {
		return fmt.Sprintf("%g pts", r.Threshold)
	}
	return fmt.Sprintf("%g%%", r.Threshold)
}
