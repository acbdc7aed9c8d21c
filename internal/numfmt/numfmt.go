// Package numfmt spells numbers as benchctl prints them: the figures of
// the reports (three significant digits, SI prefixes, durations from
// nanoseconds, bytes, percentages and percentage points, counts with
// thousands separators) and the short forms of the progress lines and
// the summary table a run ends with (1.23M, 3m05s). It imports nothing of
// the project's, so the runner, the reports and the command line share
// one spelling.
package numfmt

import (
	"fmt"
	"math"
	"strings"
	"time"
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

// Scale formats v with an SI prefix from prefixes (for 10^0, 10^3,
// 10^6, ...) and three significant digits.
func Scale(v float64, prefixes []string) string {
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

// Count formats a count or a rate with an SI prefix and three
// significant digits: 4.39M, 142k, 58.
func Count(v float64) string { return Scale(v, []string{"", "k", "M", "G", "T"}) }

// Duration formats nanoseconds as ns, µs, ms or s.
func Duration(ns float64) string {
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

// Bytes formats a byte count with decimal prefixes.
func Bytes(b float64) string {
	a := math.Abs(b)
	switch {
	case a == 0:
		return "0 B"
	case a < 999.5:
		return Sig3(b) + " B"
	}
	return Scale(b, []string{"", " kB", " MB", " GB", " TB"})
}

// Percent formats a value already in percent.
func Percent(p float64) string {
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

// SignedPercent formats a change in percent with its sign.
func SignedPercent(pct float64) string {
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

// Points formats percentage points.
func Points(p float64) string { return fmt.Sprintf("%.1f pts", p) }

// Thousands formats a whole count with thousands separators.
func Thousands(n float64) string {
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

// Short formats a count with an SI prefix at a fixed precision, as the
// progress lines and the table at the end of a run print it: 1234567 as
// 1.23M, 12345 as 12.3k, 999 as 999.
func Short(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Elapsed formats a wall-clock duration the way a person reads it:
// 850ms, 7.9s, 3m05s, 1h02m.
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
