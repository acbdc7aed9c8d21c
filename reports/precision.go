package reports

import (
	"fmt"

	"github.com/benchctl/benchctl/bench/results"
)

// precisionSection shows how far each gated figure can be trusted: the
// half-width of its median's 95% interval against half its gate
// threshold (the target `repetitions: auto` uses), variant by variant.
func precisionSection(r *results.Results) *section {
	gate := r.Scenario.Gate
	ws := r.IntervalWidths(gate, 0)
	if a := r.Scenario.Auto; a != nil && a.HalfWidth > 0 {
		ws = r.IntervalWidths(gate, a.HalfWidth)
	}
	if len(ws) == 0 {
		return nil
	}
	s := &section{ID: "precision", Title: "Precision of the gated figures"}
	s.Paras = append(s.Paras, "The half-width of each gated figure's 95% interval, in percent of its median (in points for overhead and drop ratio), "+
		"against half of its gate threshold: a change as large as the threshold stands out of an interval that narrow. Widest first.")
	t := newTable("variant", "metric", "median", "95% interval", "half-width", "target", "").right(2, 3, 4, 5).code(0, 1)
	narrow := 0
	for _, w := range ws {
		m, _ := results.GateMeasure(w.Metric)
		unit := "%"
		if w.Points {
			unit = " pts"
		}
		ci, hw, verdict := "none (too few runs)", none, "too few runs"
		if !w.NoInterval {
			ci = formatValue(m.Kind, "", w.Lo) + " to " + formatValue(m.Kind, "", w.Hi)
			hw = fmt.Sprintf("±%.3g%s", w.HalfWidth, unit)
			verdict = "wider than the target"
			if w.Ok() {
				verdict, narrow = "ok", narrow+1
			}
		}
		t.add(w.Variant, w.Metric, formatValue(m.Kind, "", w.Median), ci, hw, fmt.Sprintf("±%.3g%s", w.Target, unit), verdict)
	}
	s.Tables = append(s.Tables, t)
	s.Paras = append(s.Paras, fmt.Sprintf("%d of %d within their target.", narrow, len(ws)))
	return s
}
