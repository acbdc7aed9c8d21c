package history

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Formats are the formats of Write.
var Formats = []string{"text", "markdown", "json", "html"}

func fnum(x float64) string {
	switch a := math.Abs(x); {
	case a == 0:
		return "0"
	case a >= 1000:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}

func (iv Interval) String() string {
	if iv.Lo == nil {
		return fmt.Sprintf("%s (n=%d, no CI)", fnum(iv.Median), iv.N)
	}
	return fmt.Sprintf("%s [%s, %s] (n=%d)", fnum(iv.Median), fnum(*iv.Lo), fnum(*iv.Hi), iv.N)
}

func unitOf(points bool) string {
	if points {
		return " pt"
	}
	return "%"
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func runName(r RunRef) string {
	return fmt.Sprintf("%s %s (build %s)", day(r.Started), shortHash(r.SHA256), r.Build)
}

// Write writes the analyses in format (one of Formats).
func Write(w io.Writer, format string, as []Analysis) error {
	switch format {
	case "json":
		return writeJSON(w, as)
	case "markdown":
		return writeMarkdown(w, as)
	case "text":
		return writeText(w, as)
	case "html":
		return writeHTML(w, as)
	}
	return fmt.Errorf("unknown history format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

func span(s Series) string {
	if len(s.Points) == 0 {
		return "no runs"
	}
	return fmt.Sprintf("%d runs, %s to %s", len(s.Points), day(s.Points[0].Run.Started), day(s.Points[len(s.Points)-1].Run.Started))
}

func writeText(w io.Writer, as []Analysis) error {
	if len(as) == 0 {
		_, err := fmt.Fprintln(w, "no series: nothing recorded matches")
		return err
	}
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s\n  %s\n", a.Series.Key, span(a.Series))
		switch {
		case a.TooShort:
			b.WriteString("  too few runs for a change point\n")
		case len(a.Changes) == 0 && a.Drift == nil:
			b.WriteString("  no change point\n")
		}
		if d := a.Drift; d != nil {
			u := unitOf(d.Points)
			fmt.Fprintf(&b, "  drift: %s → %s, %+.2f%s (%+.3f%s per run), Mann-Kendall p %.2g, from %s to %s\n",
				fnum(d.From), fnum(d.To), d.Change, u, d.PerRun, u, d.P, runName(d.First), runName(d.Last))
		}
		for _, c := range a.Changes {
			u := unitOf(c.Points)
			fmt.Fprintf(&b, "  change at run %d: %+.2f%s, p %.3g\n    before %s\n    after  %s\n    last before: %s\n    first after: %s\n",
				c.Index+1, c.Change, u, c.P, c.Before, c.After, runName(c.LastBefore), runName(c.FirstAfter))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdown(w io.Writer, as []Analysis) error {
	var b strings.Builder
	b.WriteString("# History: change points\n\n")
	if len(as) == 0 {
		b.WriteString("No series: nothing recorded matches.\n")
	}
	for _, a := range as {
		k := a.Series.Key
		fmt.Fprintf(&b, "## %s · %s · `%s`\n\n", k.Scenario, k.Variant, k.Metric)
		fmt.Fprintf(&b, "host %s, kernel %s, CPU %s, guest %s; %s.\n\n", orDash(k.Env.Host), orDash(k.Env.Kernel), orDash(k.Env.CPUModel), orDash(k.Env.Guest), span(a.Series))
		switch {
		case a.TooShort:
			b.WriteString("Too few runs for a change point.\n\n")
		case len(a.Changes) == 0 && a.Drift == nil:
			b.WriteString("No change point.\n\n")
		}
		if d := a.Drift; d != nil {
			u := unitOf(d.Points)
			fmt.Fprintf(&b, "**Drift**: %s → %s, %+.2f%s (%+.3f%s per run), Mann-Kendall p %.2g, from %s to %s.\n\n",
				fnum(d.From), fnum(d.To), d.Change, u, d.PerRun, u, d.P, runName(d.First), runName(d.Last))
		}
		if len(a.Changes) > 0 {
			b.WriteString("| run | change | p | median before [95% CI] | median after [95% CI] | last before | first after |\n")
			b.WriteString("| ---: | ---: | ---: | --- | --- | --- | --- |\n")
			for _, c := range a.Changes {
				fmt.Fprintf(&b, "| %d | %+.2f%s | %.3g | %s | %s | %s | %s |\n", c.Index+1, c.Change, unitOf(c.Points), c.P, c.Before, c.After, runName(c.LastBefore), runName(c.FirstAfter))
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type jsonSeries struct {
	Key      Key          `json:"series"`
	Runs     int          `json:"runs"`
	TooShort bool         `json:"too_short"`
	Changes  []Change     `json:"changes"`
	Drift    *DriftChange `json:"drift"`
	Points   []jsonPoint  `json:"points"`
}

type jsonPoint struct {
	Run    RunRef  `json:"run"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
	Noisy  bool    `json:"noisy,omitempty"`
}

func writeJSON(w io.Writer, as []Analysis) error {
	out := make([]jsonSeries, 0, len(as))
	for _, a := range as {
		js := jsonSeries{Key: a.Series.Key, Runs: len(a.Series.Points), TooShort: a.TooShort, Changes: a.Changes, Drift: a.Drift}
		if js.Changes == nil {
			js.Changes = []Change{}
		}
		for _, p := range a.Series.Points {
			js.Points = append(js.Points, jsonPoint{Run: p.Run, Median: p.Median, Min: p.Min, Max: p.Max, N: p.N, Noisy: p.Noisy})
		}
		out = append(out, js)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"series": out})
}
