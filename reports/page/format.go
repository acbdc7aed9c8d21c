package page

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/numfmt"
)

// FormatValue formats one value of a measure of kind k; unit is the
// workload's throughput unit.
func FormatValue(k results.Kind, unit string, v float64) string {
	switch k {
	case results.KindDuration:
		return numfmt.Duration(v)
	case results.KindBytes:
		return numfmt.Bytes(v)
	case results.KindPercent:
		return numfmt.Percent(v)
	case results.KindRatio:
		return numfmt.Sig3(v)
	case results.KindThroughput:
		if unit == "" {
			return numfmt.Count(v)
		}
		return numfmt.Count(v) + " " + unit
	}
	return numfmt.Count(v)
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
	return numfmt.SignedPercent(d.ChangePct())
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

// FormatLimitShare formats p's verified instructions as a share of the
// verifier's limit; None when not known.
func FormatLimitShare(p results.ProgramLoad) string {
	if p.VerifiedInsns == 0 {
		return None
	}
	return fmt.Sprintf("%.1f%%", 100*p.LimitShare())
}
