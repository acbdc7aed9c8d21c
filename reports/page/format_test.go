package page

import (
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{FormatDuration(83.46), "83.5 ns"},
		{FormatDuration(1.848e9), "1.85 s"},
		{FormatDuration(635.5e6), "636 ms"},
		{FormatDuration(1.48e6), "1.48 ms"},
		{SIScale(4.39e6, CountPrefixes), "4.39M"},
		{SIScale(999.7, CountPrefixes), "1.00k"},
		{SIScale(142123, CountPrefixes), "142k"},
		{FormatBytes(2.55e8), "255 MB"},
		{FormatBytes(58), "58.0 B"},
		{FormatPercent(-21.49), "-21.5%"},
		{FormatPercent(0.0074), "0.0074%"},
		{FormatSignedPct(9.84), "+9.8%"},
		{superscript(12), "¹²"},
		{Sig3(0.99971), "1.00"},
		{Sig3(9.9971), "10.0"},
		{FormatCI(results.KindDuration, stats.Summarize([]float64{1, 2, 3})), "±∞"},
		{FormatCI(results.KindDuration, stats.Summarize([]float64{97, 98, 99, 100, 100, 100, 101, 102, 103, 104})), "±3.0%"},
		{FormatCI(results.KindPercent, stats.Summarize([]float64{-21, -20, -20, -20, -20, -19, -19, -19, -18, -18})), "±1.5pp"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
