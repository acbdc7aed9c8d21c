package reports

import (
	"fmt"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// precisionSection shows how far each gated figure can be trusted: the
// half-width of its median's 95% interval against half its gate
// threshold (the target `repetitions: auto` uses), variant by variant.
func precisionSection(r *results.Results) *page.Section {
	gate := r.Scenario.Gate
	ws := r.IntervalWidths(gate, 0)
	if a := r.Scenario.Auto; a != nil && a.HalfWidth > 0 {
		ws = r.IntervalWidths(gate, a.HalfWidth)
	}
	if len(ws) == 0 {
		return nil
	}
	s := &page.Section{ID: "precision", Title: "Precision of the gated figures"}
	s.Paras = append(s.Paras, "The half-width of each gated figure's 95% interval, in percent of its median (in points for overhead and drop ratio), "+
		"against half of its gate threshold: a change as large as the threshold stands out of an interval that narrow. Widest first.")
	t := page.NewTable("variant", "metric", "median", "95% interval", "half-width", "target", "").AlignRight(2, 3, 4, 5).AsCode(0, 1)
	narrow := 0
	for _, w := range ws {
		m, _ := results.GateMeasure(w.Metric)
		unit := "%"
		if w.Points {
			unit = " pts"
		}
		ci, hw, verdict := "none (too few runs)", page.None, "too few runs"
		if !w.NoInterval {
			ci = page.FormatValue(m.Kind, "", w.Lo) + " to " + page.FormatValue(m.Kind, "", w.Hi)
			hw = fmt.Sprintf("±%.3g%s", w.HalfWidth, unit)
			verdict = "wider than the target"
			if w.Ok() {
				verdict, narrow = "ok", narrow+1
			}
		}
		t.Add(w.Variant, w.Metric, page.FormatValue(m.Kind, "", w.Median), ci, hw, fmt.Sprintf("±%.3g%s", w.Target, unit), verdict)
	}
	s.Tables = append(s.Tables, t)
	s.Paras = append(s.Paras, fmt.Sprintf("%d of %d within their target.", narrow, len(ws)))
	return s
}
