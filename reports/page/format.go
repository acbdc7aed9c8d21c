package page

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// Sig3 formats v with about three significant digits.
func Sig3(v float64) string {
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

// SIScale formats v with an SI prefix from prefixes (for 10^0, 10^3,
// 10^6, ...) and three significant digits.
func SIScale(v float64, prefixes []string) string {
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
	return Sig3(v) + prefixes[i]
}

// CountPrefixes are the SI prefixes of counts, for SIScale.
var CountPrefixes = []string{"", "k", "M", "G", "T"}

// FormatDuration formats nanoseconds as ns, µs, ms or s.
func FormatDuration(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a == 0:
		return "0"
	case a < 999.5:
		return Sig3(ns) + " ns"
	case a < 999.5e3:
		return Sig3(ns/1e3) + " µs"
	case a < 999.5e6:
		return Sig3(ns/1e6) + " ms"
	}
	return Sig3(ns/1e9) + " s"
}

// FormatBytes formats a byte count with decimal prefixes.
func FormatBytes(b float64) string {
	a := math.Abs(b)
	switch {
	case a == 0:
		return "0 B"
	case a < 999.5:
		return Sig3(b) + " B"
	}
	return SIScale(b, []string{"", " kB", " MB", " GB", " TB"})
}

// FormatPercent formats a value already in percent.
func FormatPercent(p float64) string {
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

// FormatValue formats one value of a measure of kind k; unit is the
// workload's throughput unit.
func FormatValue(k results.Kind, unit string, v float64) string {
	switch k {
	case results.KindDuration:
		return FormatDuration(v)
	case results.KindBytes:
		return FormatBytes(v)
	case results.KindPercent:
		return FormatPercent(v)
	case results.KindRatio:
		return Sig3(v)
	case results.KindThroughput:
		if unit == "" {
			return SIScale(v, CountPrefixes)
		}
		return SIScale(v, CountPrefixes) + " " + unit
	}
	return SIScale(v, CountPrefixes)
}

// FormatCI formats the half-width of a summary's confidence interval:
// "±3%" of the median, "±0.9pp" for percentages, "±∞" without an
// interval.
func FormatCI(k results.Kind, s stats.Summary) string {
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

// FormatChange formats a relative change (a fraction) in percent with its
// sign, or "~" when it is not significant.
func FormatChange(d stats.Delta) string {
	if !d.Significant {
		return "~"
	}
	return FormatSignedPct(d.ChangePct())
}

// FormatSignedPct formats a change in percent with its sign.
func FormatSignedPct(pct float64) string {
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

// FormatP formats a p-value and the sample sizes: "p=0.008 n=5".
func FormatP(d stats.Delta) string { return d.String() }

// superscripts renders footnote numbers.
var superscripts = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscript(n int) string {
	var b strings.Builder
	for _, c := range fmt.Sprint(n) {
		b.WriteRune(superscripts[c-'0'])
	}
	return b.String()
}

// Notes numbers footnotes: the same text gets the same number.
type Notes struct {
	texts []string
}

// Mark returns the superscript that refers to text, adding it if new.
func (n *Notes) Mark(text string) string {
	for i, t := range n.texts {
		if t == text {
			return superscript(i + 1)
		}
	}
	n.texts = append(n.texts, text)
	return superscript(len(n.texts))
}

// Marks returns the superscripts of every text, concatenated.
func (n *Notes) Marks(texts []string) string {
	var b strings.Builder
	for _, t := range texts {
		b.WriteString(n.Mark(t))
	}
	return b.String()
}

// Numbered returns the footnotes as "¹ text" lines.
func (n *Notes) Numbered() []string {
	out := make([]string, len(n.texts))
	for i, t := range n.texts {
		out[i] = superscript(i+1) + " " + t
	}
	return out
}

// Plural returns "1 run" or "2 runs".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// SanitizeCode makes s, a string from a scenario, a tracer or a results
// file, fit to be put in a Document's paragraph, inside a `code` span or
// out of one: it replaces the backquote, the paragraphs' one markup
// character, and line breaks. Everything else is the writers' to escape
// (see MDText).
func SanitizeCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "\r", " ").Replace(s)
}

// FormatCount formats a whole count with thousands separators.
func FormatCount(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatLimitShare formats p's verified instructions as a share of the
// verifier's limit; None when not known.
func FormatLimitShare(p results.ProgramLoad) string {
	if p.VerifiedInsns == 0 {
		return None
	}
	return fmt.Sprintf("%.1f%%", 100*p.LimitShare())
}
