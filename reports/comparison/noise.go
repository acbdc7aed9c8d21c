package comparison

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/reports/page"
)

// noisySideNote is what sideLine adds for a side with flagged runs.
func noisySideNote(s compare.Side) string {
	if s.Flagged == 0 {
		return ""
	}
	return fmt.Sprintf("%d flagged noisy", s.Flagged)
}

// noisyLeftOutLines name, for the rows whose samples held values of
// noisy runs, how many were left out and what the comparison with them
// said; nil when no row had any.
func noisyLeftOutLines(c *compare.Comparison) []string {
	var parts []string
	for _, r := range c.Rows {
		if r.Noise == nil {
			continue
		}
		p := fmt.Sprintf("%s %s: %d base and %d head values", r.Variant, r.Metric, r.Noise.BaseNoisy, r.Noise.HeadNoisy)
		if a := r.Noise.All; a != nil {
			all := compare.GateRow{Measure: r.Measure, Threshold: r.Threshold, Delta: *a}
			p += fmt.Sprintf(" (with them: %s, %s)", formatRowChange(all, true), page.FormatP(*a))
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil
	}
	return []string{"Left out as noisy: " + strings.Join(parts, "; ") + "."}
}

// jsonRowNoise is a row's noise in the JSON comparison: how many values
// of each side were left out as noisy, and the comparison with them.
type jsonRowNoise struct {
	BaseNoisy int          `json:"base_noisy_values"`
	HeadNoisy int          `json:"head_noisy_values"`
	AllBase   *jsonSummary `json:"all_base,omitempty"`
	AllHead   *jsonSummary `json:"all_head,omitempty"`
	AllP      *float64     `json:"all_p,omitempty"`
}

func toJSONRowNoise(n *compare.RowNoise) *jsonRowNoise {
	if n == nil {
		return nil
	}
	out := &jsonRowNoise{BaseNoisy: n.BaseNoisy, HeadNoisy: n.HeadNoisy}
	if n.All != nil {
		b, h, p := toJSONSummary(n.All.Base), toJSONSummary(n.All.Head), n.All.P
		out.AllBase, out.AllHead, out.AllP = &b, &h, &p
	}
	return out
}
