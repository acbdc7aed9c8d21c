package page

import (
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{superscript(12), "¹²"},
		{FormatCI(results.KindDuration, stats.Summarize([]float64{1, 2, 3})), "±∞"},
		{FormatCI(results.KindDuration, stats.Summarize([]float64{97, 98, 99, 100, 100, 100, 101, 102, 103, 104})), "±3.0%"},
		{FormatCI(results.KindPercent, stats.Summarize([]float64{-21, -20, -20, -20, -20, -19, -19, -19, -18, -18})), "±1.5pp"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
