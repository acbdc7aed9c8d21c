package reports

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// sig3 formats v with about three significant digits.
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case math.IsInf(v, 0) || math.IsNaN(v):
		return fmt.Sprint(v)
	case a >= 99.95:
		return fmt.Sprintf("%.0f", v)
	case a >= 9.995:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.9995:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// siScale formats v with an SI prefix from prefixes (for 10^0, 10^3,
// 10^6, ...) and three significant digits.
func siScale(v float64, prefixes []string) string {
	a := math.Abs(v)
	if a < 999.5 && v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v) + prefixes[0] // a whole count
	}
	i := 0
	for i < len(prefixes)-1 && a >= 999.5 {
		a /= 1000
		v /= 1000
		i++
	}
	return sig3(v) + prefixes[i]
}

var countPrefixes = []string{"", "k", "M", "G", "T"}

// formatDuration formats nanoseconds as ns, µs, ms or s.
func formatDuration(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a == 0:
		return "0"
	case a < 999.5:
		return sig3(ns) + " ns"
	case a < 999.5e3:
		return sig3(ns/1e3) + " µs"
	case a < 999.5e6:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// formatBytes formats a byte count with decimal prefixes.
func formatBytes(b float64) string {
	a := math.Abs(b)
	switch {
	case a == 0:
		return "0 B"
	case a < 999.5:
		return sig3(b) + " B"
	}
	return siScale(b, []string{"", " kB", " MB", " GB", " TB"})
}

// formatPercent formats a value already in percent.
func formatPercent(p float64) string {
	a := math.Abs(p)
	switch {
	case a == 0:
		return "0%"
	case a < 0.1:
		return fmt.Sprintf("%.2g%%", p)
	case a < 10:
		return fmt.Sprintf("%.2f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// formatValue formats one value of a measure of kind k; unit is the
// workload's throughput unit.
func formatValue(k results.Kind, unit string, v float64) string {
	switch k {
	case results.KindDuration:
		return formatDuration(v)
	case results.KindBytes:
		return formatBytes(v)
	case results.KindPercent:
		return formatPercent(v)
	case results.KindRatio:
		return sig3(v)
	case results.KindThroughput:
		if unit == "" {
			return siScale(v, countPrefixes)
		}
		return siScale(v, countPrefixes) + " " + unit
	}
	return siScale(v, countPrefixes)
}

// formatCI formats the half-width of a summary's confidence interval:
// "±3%" of the median, "±0.9pp" for percentages, "±∞" without an
// interval.
func formatCI(k results.Kind, s stats.Summary) string {
	if !s.HasCI() {
		return "±∞"
	}
	half := math.Max(s.Hi-s.Median, s.Median-s.Lo)
	unit := "%"
	if k == results.KindPercent {
		unit = "pp"
	} else {
		if s.Median == 0 {
			if half == 0 {
				return "±0%"
			}
			return "±?"
		}
		half = 100 * half / math.Abs(s.Median)
	}
	switch {
	case half == 0:
		return "±0" + unit
	case half < 0.05:
		return "±<0.1" + unit
	case half < 9.95:
		return fmt.Sprintf("±%.1f%s", half, unit)
	}
	return fmt.Sprintf("±%.0f%s", half, unit)
}

// formatChange formats a relative change (a fraction) in percent with its
// sign, or "~" when it is not significant.
func formatChange(d stats.Delta) string {
	if !d.Significant {
		return "~"
	}
	return formatSignedPct(d.ChangePct())
}

func formatSignedPct(pct float64) string {
	switch {
	case math.IsInf(pct, 1):
		return "+∞"
	case math.IsInf(pct, -1):
		return "-∞"
	case pct == 0:
		return "0.0%"
	}
	return fmt.Sprintf("%+.1f%%", pct)
}

// formatP formats a p-value and the sample sizes: "p=0.008 n=5".
func formatP(d stats.Delta) string { return d.String() }

// superscripts renders footnote numbers.
var superscripts = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscript(n int) string {
	var b strings.Builder
	for _, c := range fmt.Sprint(n) {
		b.WriteRune(superscripts[c-'0'])
	}
	return b.String()
}

// notes numbers footnotes: the same text gets the same number.
type notes struct {
	texts []string
}

// mark returns the superscript that refers to text, adding it if new.
func (n *notes) mark(text string) string {
	for i, t := range n.texts {
		if t == text {
			return superscript(i + 1)
		}
	}
	n.texts = append(n.texts, text)
	return superscript(len(n.texts))
}

// marks returns the superscripts of every text, concatenated.
func (n *notes) marks(texts []string) string {
	var b strings.Builder
	for _, t := range texts {
		b.WriteString(n.mark(t))
	}
	return b.String()
}

// numbered returns the footnotes as "¹ text" lines.
func (n *notes) numbered() []string {
	out := make([]string, len(n.texts))
	for i, t := range n.texts {
		out[i] = superscript(i+1) + " " + t
	}
	return out
}

// plural returns "1 run" or "2 runs".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// sanitizeCode makes s safe inside a `code` span.
func sanitizeCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
}
