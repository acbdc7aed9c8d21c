package reports

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// headlineSection is what a pull-request comment needs, at the top of the
// report: per syscall set and family, what exit_only changes against
// enter_exit in kernel time, events and throughput overhead, with their
// intervals, and a warning when the file is incomplete or noisy. Nil when
// the file has no pair to compare.
func headlineSection(r *results.Results, vss []results.VariantStats, opts Options) *page.Section {
	s := &page.Section{ID: "headline", Title: "Headline"}
	byName := map[string]results.VariantStats{}
	for _, vs := range vss {
		byName[vs.Variant.Name] = vs
	}
	c := page.NewCells(page.AnyCI(vss))
	for _, pc := range r.ComparePairs(opts.SignificanceLevel()) {
		unit := byName[pc.EnterExit.Name].Unit
		var parts []string
		for _, key := range []string{"kernel_time_ns", "events"} {
			for _, d := range pc.Deltas {
				if d.Measure.Key != key {
					continue
				}
				change := page.FormatChange(d.Delta)
				if change == "~" {
					change = "no significant change"
				}
				k := d.Measure.Kind
				parts = append(parts, fmt.Sprintf("%s %s (%s → %s, %s)", d.Measure.Label, change,
					c.Summary(k, unit, d.Base), c.Summary(k, unit, d.Head), page.FormatP(d.Delta)))
			}
		}
		ee, eok := byName[pc.EnterExit.Name].Get("throughput_change")
		xo, xok := byName[pc.ExitOnly.Name].Get("throughput_change")
		if eok && xok {
			parts = append(parts, fmt.Sprintf("throughput overhead against the baseline %s → %s",
				c.Summary(results.KindPercent, "", ee.Summary.Negated()), c.Summary(results.KindPercent, "", xo.Summary.Negated())))
		}
		if len(parts) == 0 {
			parts = append(parts, "no figure to compare")
		}
		s.Paras = append(s.Paras, fmt.Sprintf("`%s`, %s: %s → %s: %s.", page.SanitizeCode(pc.Set), page.SanitizeCode(pc.EnterExit.FamilyName()),
			page.ModeLabel(pc.EnterExit), page.ModeLabel(pc.ExitOnly), strings.Join(parts, "; ")))
	}
	if len(s.Paras) == 0 {
		return nil
	}
	if n := len(c.Footnotes()); n > 0 {
		s.Paras = append(s.Paras, "Some of these figures carry warnings: see the tables below.")
	}
	flagged, runs := 0, 0
	for _, v := range r.Variants {
		flagged += len(r.FlaggedRuns(v.Name))
		runs += len(r.RunsOf(v.Name))
	}
	if flagged > 0 {
		s.Paras = append(s.Paras, fmt.Sprintf("Warning: %d of %d measured runs were flagged as noisy: measure again on a quiet machine before trusting a difference they carry (see Noise).", flagged, runs))
	}
	if !r.Complete {
		s.Paras = append(s.Paras, "Warning: this run is incomplete.")
	}
	return s
}
