package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// Comparison formats.
const (
	CompareText      = "text"
	CompareMarkdown  = "markdown"
	CompareJSON      = "json"
	CompareActionBen = "github-action-benchmark"
)

// CompareFormats lists the formats of `benchctl compare`, the default first.
var CompareFormats = []string{CompareText, CompareMarkdown, CompareJSON, CompareActionBen}

// RenderComparison writes c in format (one of CompareFormats) to w.
func RenderComparison(w io.Writer, c *compare.Comparison, format string) error {
	switch format {
	case CompareText, "":
		return ComparisonText(w, c)
	case CompareMarkdown:
		return ComparisonMarkdown(w, c)
	case CompareJSON:
		return ComparisonJSON(w, c)
	case CompareActionBen:
		return ComparisonActionBenchmark(w, c)
	}
	return fmt.Errorf("rendering comparison: unknown format %q (valid: %s)", format, strings.Join(CompareFormats, ", "))
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
	parts = append(parts, plural(s.Runs, "measured run", "measured runs"))
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
	case stats.VerdictWithin:
		return "within threshold"
	case compare.VerdictNoisy:
		if markdown {
			return "⚠️ noisy, not called"
		}
		return "noisy, not called"
	}
	return "~"
}

func summaryLine(c *compare.Comparison) string {
	regs := c.Regressions()
	if load := loadSummary(c); len(load) > 0 {
		var names []string
		for _, r := range regs {
			names = append(names, fmt.Sprintf("%s %s %s", r.Variant, r.Metric, formatRowChange(r, true)))
		}
		names = append(names, load...)
		return fmt.Sprintf("FAIL: %s: %s.", plural(len(names), "regression", "regressions"), strings.Join(names, "; ")) + noisyVerdictNote(c)
	}
	if len(regs) == 0 {
		return fmt.Sprintf("PASS: no gated metric regressed beyond its threshold (%s compared).", plural(len(c.Rows), "figure", "figures")) + noisyVerdictNote(c)
	}
	var names []string
	for _, r := range regs {
		names = append(names, fmt.Sprintf("%s %s %s", r.Variant, r.Metric, formatRowChange(r, true)))
	}
	return fmt.Sprintf("FAIL: %s: %s.", plural(len(regs), "regression", "regressions"), strings.Join(names, "; ")) + noisyVerdictNote(c)
}

// comparisonTable is the rows of a comparison as a table.
func comparisonTable(c *compare.Comparison, markdown bool) *table {
	t := newTable("variant", "metric", "base", "head", "change", "p", "threshold", "verdict").right(2, 3, 4, 5, 6).code(0, 1)
	cl := newCells(comparisonHasCI(c))
	for _, r := range c.Rows {
		k := r.Measure.Kind
		t.add(r.Variant, r.Metric, cl.summary(k, "", r.Base), cl.summary(k, "", r.Head),
			formatRowChange(r, false)+cl.n.marks(r.Warnings), formatP(r.Delta), formatThreshold(r), verdictWord(r.Verdict, markdown))
	}
	t.Notes = cl.notes()
	if !cl.showCI {
		t.Notes = append([]string{fmt.Sprintf("Medians only: fewer than %d runs per variant, too few samples for a 95%% confidence interval.", stats.MinSamplesCI)}, t.Notes...)
	}
	return t
}

// ComparisonText writes c as terminal tables.
func ComparisonText(w io.Writer, c *compare.Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("benchctl compare: scenario %s, alpha %g\n", c.Scenario, c.Alpha)
	ew.println("base: " + sideLine(c.Base))
	ew.println("head: " + sideLine(c.Head))
	ew.println("thresholds (change of the median: percent, or percentage points for metrics that are percentages; lower is better): " + thresholdsLine(c))
	ew.println("")
	writeTextTable(ew, comparisonTable(c, false))
	if len(c.Load) > 0 {
		ew.println("")
		ew.println(loadGateLine(c))
		if lt := loadComparisonTable(c, false); lt != nil {
			writeTextTable(ew, lt)
		}
	}
	if len(c.Warnings) > 0 {
		ew.println("")
		ew.println("Warnings:")
		for _, w := range c.Warnings {
			ew.println("  " + w)
		}
	}
	ew.println("")
	ew.println(summaryLine(c))
	return ew.err
}

// ComparisonMarkdown writes c as markdown for a pull-request comment or a
// job summary.
func ComparisonMarkdown(w io.Writer, c *compare.Comparison) error {
	ew := &errWriter{w: w}
	status := "✅ no regression"
	if n := len(c.NoisyRows()); n > 0 {
		status = fmt.Sprintf("⚠️ no regression called, %d on noisy runs only", n)
	}
	if n := len(c.Regressions()) + len(c.LoadRegressions()); n > 0 {
		status = "❌ " + plural(n, "regression", "regressions")
	}
	ew.printf("## benchctl compare: %s — %s\n\n", mdText(c.Scenario), status)
	ew.println(mdText("Base: "+sideLine(c.Base)) + ".<br>")
	ew.println(mdText("Head: "+sideLine(c.Head)) + ".<br>")
	ew.println(mdPara(fmt.Sprintf("Gate: a change is a regression when it is significant (Mann-Whitney U, p ≤ %g) and beyond its threshold: %s. "+
		"Every gated metric is lower-is-better; `~` is no significant change.", c.Alpha, thresholdsLine(c))))
	ew.println("")
	writeMarkdownTable(ew, comparisonTable(c, true))
	if len(c.Load) > 0 {
		ew.println("")
		ew.println(mdPara(loadGateLine(c) + "."))
		if lt := loadComparisonTable(c, true); lt != nil {
			ew.println("")
			writeMarkdownTable(ew, lt)
		}
	}
	if len(c.Warnings) > 0 {
		ew.println("")
		ew.println("**Warnings**")
		ew.println("")
		for _, w := range c.Warnings {
			ew.println("- " + mdText(w))
		}
	}
	ew.println("")
	if n := len(c.Regressions()) + len(c.LoadRegressions()); n > 0 {
		ew.println("**" + mdText(fmt.Sprintf("FAIL: %s beyond threshold.", plural(n, "gated figure regressed", "gated figures regressed"))+noisyVerdictNote(c)) + "**")
	} else {
		ew.println("**" + mdText(summaryLine(c)) + "**")
	}
	return ew.err
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
	Verdict       string   `json:"verdict"`
	Warnings      []string `json:"warnings,omitempty"`
	// Noise is set when either sample holds values of noisy runs.
	Noise *jsonRowNoise `json:"noise,omitempty"`
}

type jsonComparison struct {
	Scenario    string             `json:"scenario"`
	Alpha       float64            `json:"alpha"`
	Thresholds  map[string]float64 `json:"thresholds_pct"`
	Pass        bool               `json:"pass"`
	Regressions int                `json:"regressions"`
	NotCalled   int                `json:"noisy_not_called,omitempty"`
	Base        jsonSide           `json:"base"`
	Head        jsonSide           `json:"head"`
	Rows        []jsonRow          `json:"rows"`
	Warnings    []string           `json:"warnings"`
	// Load is the load gate's rows (verified instructions per program);
	// LoadRegressions counts the failed ones.
	Load            []jsonLoadRow `json:"load,omitempty"`
	LoadRegressions int           `json:"load_regressions,omitempty"`
}

func toJSONSide(s compare.Side) jsonSide {
	e := s.Environment
	return jsonSide{Version: e.BenchctlVersion, Commit: e.BenchctlCommit, Kernel: e.Kernel, CPUModel: e.CPUModel,
		CPUs: e.CPUs, Complete: s.Complete, Runs: s.Runs, Flagged: s.Flagged}
}

// ComparisonJSON writes c as JSON for machines. Verdicts are
// "regression", "improvement", "within threshold", "~" and "noisy" (a
// regression only runs flagged as noisy show: not called).
func ComparisonJSON(w io.Writer, c *compare.Comparison) error {
	out := jsonComparison{
		Scenario: c.Scenario, Alpha: c.Alpha, Thresholds: c.Thresholds,
		Pass: !c.Failed(), Regressions: len(c.Regressions()), NotCalled: len(c.NoisyRows()),
		Base: toJSONSide(c.Base), Head: toJSONSide(c.Head),
		Rows: []jsonRow{}, Warnings: append([]string{}, c.Warnings...),
		Load: toJSONLoadRows(c), LoadRegressions: len(c.LoadRegressions()),
	}
	for _, r := range c.Rows {
		jr := jsonRow{Variant: r.Variant, Metric: r.Metric, Unit: unitOf(r.Measure.Kind), Threshold: r.Threshold,
			Base: toJSONSummary(r.Base), Head: toJSONSummary(r.Head), P: r.P, Significant: r.Significant,
			Verdict: string(r.Verdict), Warnings: r.Warnings, Noise: toJSONRowNoise(r.Noise)}
		if ch := r.ChangePct(); !math.IsInf(ch, 0) && !math.IsNaN(ch) {
			jr.ChangePct = &ch
		}
		if r.InPoints() {
			pts := r.Change()
			jr.ChangePoints = &pts
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

// ComparisonActionBenchmark writes the head side of c in the
// customSmallerIsBetter shape of github-action-benchmark: one entry
// "<variant> <metric>" per gated figure with the head's median; range is
// the CI half-width when there is one, extra the comparison with base.
func ComparisonActionBenchmark(w io.Writer, c *compare.Comparison) error {
	out := []actionBenchmarkEntry{}
	for _, r := range c.Rows {
		e := actionBenchmarkEntry{Name: r.Variant + " " + r.Metric, Unit: unitOf(r.Measure.Kind), Value: r.Head.Median}
		if e.Unit == "" {
			e.Unit = r.Metric
		}
		if r.Head.HasCI() {
			e.Range = "± " + sig3(math.Max(r.Head.Hi-r.Head.Median, r.Head.Median-r.Head.Lo))
		}
		e.Extra = fmt.Sprintf("n=%d; base %s; change %s (%s); threshold %s; %s",
			r.Head.N, formatValue(r.Measure.Kind, "", r.Base.Median), formatRowChange(r, true), formatP(r.Delta), formatThreshold(r), r.Verdict)
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
	return formatSignedPct(r.ChangePct())
}

// formatThreshold formats a row's threshold in its unit.
func formatThreshold(r compare.GateRow) string {
	if r.InPoints() {
		return fmt.Sprintf("%g pts", r.Threshold)
	}
	return fmt.Sprintf("%g%%", r.Threshold)
}
