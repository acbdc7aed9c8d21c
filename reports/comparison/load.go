package comparison

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// loadComparisonTable shows the load gate's rows that failed or changed;
// nil when none did (unchanged programs are counted in loadGateLine).
func loadComparisonTable(c *compare.Comparison, markdown bool) *page.Table {
	t := page.NewTable("variant", "program", "base insns", "head insns", "change", "share of limit", "verdict").AlignRight(2, 3, 4, 5).AsCode(0, 1)
	for _, r := range c.Load {
		if !r.Regression() && r.Base == r.Head {
			continue
		}
		change := page.None
		if r.Base > 0 && r.Head > 0 {
			change = numfmt.SignedPercent(r.GrowthPct())
		}
		cnt := func(n uint32) string {
			if n == 0 {
				return page.None
			}
			return fmt.Sprint(n)
		}
		head, share := cnt(r.Head), fmt.Sprintf("%.1f%%", 100*float64(r.Head)/results.VerifierInsnLimit)
		if r.Refusal != nil {
			head, share = "refused", page.None
		}
		verdict := r.Verdict
		if r.Regression() {
			verdict = verdictWordLoad(r.Verdict, markdown) + ": " + r.Why
		}
		t.Add(r.Variant, r.Program, cnt(r.Base), head, change, share, verdict)
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

func verdictWordLoad(v string, markdown bool) string {
	if markdown {
		return "❌ " + v
	}
	return strings.ToUpper(v)
}

// loadGateLine says what the load gate compared and with which thresholds.
func loadGateLine(c *compare.Comparison) string {
	changed := 0
	for _, r := range c.Load {
		if r.Regression() || r.Base != r.Head {
			changed++
		}
	}
	return fmt.Sprintf("load gate (verified instructions, exact): %s compared, %d changed or refused; thresholds: growth %g%%, %g%% of the %s-instruction limit",
		page.Plural(len(c.Load), "program", "programs"), changed, c.LoadGrowth, c.LoadLimit, numfmt.Thousands(results.VerifierInsnLimit))
}

// loadSummary names the load regressions for the summary line.
func loadSummary(c *compare.Comparison) []string {
	var out []string
	for _, r := range c.LoadRegressions() {
		out = append(out, fmt.Sprintf("%s %s load %s (%s)", r.Variant, r.Program, r.Verdict, r.Why))
	}
	return out
}

type jsonLoadRow struct {
	Variant   string           `json:"variant"`
	Program   string           `json:"program"`
	Base      uint32           `json:"base_verified_insns"`
	Head      uint32           `json:"head_verified_insns"`
	ChangePct *float64         `json:"change_pct,omitempty"`
	Verdict   string           `json:"verdict"`
	Why       string           `json:"why,omitempty"`
	Refusal   *results.Refusal `json:"refusal,omitempty"`
}

func toJSONLoadRows(c *compare.Comparison) []jsonLoadRow {
	var out []jsonLoadRow
	for _, r := range c.Load {
		jr := jsonLoadRow{Variant: r.Variant, Program: r.Program, Base: r.Base, Head: r.Head, Verdict: r.Verdict, Why: r.Why, Refusal: r.Refusal}
		if r.Base > 0 {
			ch := r.GrowthPct()
			jr.ChangePct = &ch
		}
		out = append(out, jr)
	}
	return out
}
