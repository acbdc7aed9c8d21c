package history

import (
	"fmt"
	"html/template"
	"io"

	"github.com/benchctl/benchctl/reports/page"
	"github.com/benchctl/benchctl/reports/trend"
)

// writeHTML writes the analyses as one self-contained HTML page
// (reports/page): per series its span, drift and change points as a
// table, and an SVG trend chart (reports/trend) with the change points
// marked and each run's spread.
func writeHTML(w io.Writer, as []Analysis) error {
	doc := &page.Document{Title: "History: change points"}
	if len(as) == 0 {
		doc.Paras = append(doc.Paras, "No series: nothing recorded matches.")
	} else {
		doc.Paras = append(doc.Paras, "Change points by E-Divisive means with a permutation test; a point is a results file's median of its clean runs, its whisker the smallest to the largest of them. Medians before and after are of the segments between change points, with their 95% intervals.")
	}
	charts := map[string]page.HTMLChart{}
	for i, a := range as {
		k := a.Series.Key
		id := fmt.Sprintf("series-%d", i+1)
		sec := &page.Section{ID: id, Title: page.SanitizeCode(fmt.Sprintf("%s · %s · %s", k.Scenario, k.Variant, k.Metric))}
		sec.Paras = append(sec.Paras, page.SanitizeCode(fmt.Sprintf("host %s, kernel %s, CPU %s, guest %s; %s.", orDash(k.Env.Host), orDash(k.Env.Kernel), orDash(k.Env.CPUModel), orDash(k.Env.Guest), span(a.Series))))
		switch {
		case a.TooShort:
			sec.Paras = append(sec.Paras, "Too few runs for a change point.")
		case len(a.Changes) == 0 && a.Drift == nil:
			sec.Paras = append(sec.Paras, "No change point.")
		}
		if d := a.Drift; d != nil {
			u := unitOf(d.Points)
			sec.Paras = append(sec.Paras, page.SanitizeCode(fmt.Sprintf("Drift: %s → %s, %+.2f%s (%+.3f%s per run), Mann-Kendall p %.2g, from %s to %s.",
				fnum(d.From), fnum(d.To), d.Change, u, d.PerRun, u, d.P, runName(d.First), runName(d.Last))))
		}
		if len(a.Changes) > 0 {
			t := page.NewTable("run", "change", "p", "median before [95% CI]", "median after [95% CI]", "last before", "first after").AlignRight(0, 1, 2)
			for _, c := range a.Changes {
				t.Add(fmt.Sprint(c.Index+1), fmt.Sprintf("%+.2f%s", c.Change, unitOf(c.Points)), fmt.Sprintf("%.3g", c.P), c.Before.String(), c.After.String(),
					page.SanitizeCode(runName(c.LastBefore)), page.SanitizeCode(runName(c.FirstAfter)))
			}
			sec.Tables = append(sec.Tables, t)
		}
		if len(a.Series.Points) > 0 {
			ts := trend.Series{Title: k.Metric, YLabel: k.Metric}
			for _, p := range a.Series.Points {
				ts.Points = append(ts.Points, trend.Point{Median: p.Median, Min: p.Min, Max: p.Max})
			}
			for _, c := range a.Changes {
				ts.Changes = append(ts.Changes, c.Index)
			}
			if d := a.Drift; d != nil {
				ts.Drift = &[2]float64{d.From, d.To}
			} else if len(a.Changes) > 0 {
				ts.Levels = append(ts.Levels, a.Changes[0].Before.Median)
				for _, c := range a.Changes {
					ts.Levels = append(ts.Levels, c.After.Median)
				}
			}
			svg, err := trend.SVG(ts)
			if err != nil {
				return err
			}
			charts[id] = page.HTMLChart{Title: "Trend", Caption: "Each run's median (whisker: its runs' smallest to largest); dashed orange lines: change points; green: segment medians, or the drift's fitted line.", SVG: template.HTML(svg)}
			sec.Charts = []string{id}
		}
		doc.Sections = append(doc.Sections, sec)
	}
	return page.WriteHTML(w, doc, charts)
}
