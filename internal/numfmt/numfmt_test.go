package numfmt

import (
	"math"
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Duration(83.46), "83.5 ns"},
		{Duration(1.848e9), "1.85 s"},
		{Duration(635.5e6), "636 ms"},
		{Duration(1.48e6), "1.48 ms"},
		{Duration(0), "0"},
		{Count(4.39e6), "4.39M"},
		{Count(999.7), "1.00k"},
		{Count(142123), "142k"},
		{Count(58), "58"},
		{Bytes(2.55e8), "255 MB"},
		{Bytes(58), "58.0 B"},
		{Percent(-21.49), "-21.5%"},
		{Percent(0.0074), "0.0074%"},
		{Percent(3.14159), "3.14%"},
		{SignedPercent(9.84), "+9.8%"},
		{SignedPercent(math.Inf(-1)), "-∞"},
		{SignedPercent(0), "0.0%"},
		{Points(-2.04), "-2.0 pts"},
		{Sig3(0.99971), "1.00"},
		{Sig3(9.9971), "10.0"},
		{Sig3(0.012345), "0.0123"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(999), "999"},
		{Short(1234567), "1.23M"},
		{Short(12345), "12.3k"},
		{Short(2.5e9), "2.50G"},
		{Short(999), "999"},
		{Elapsed(850 * time.Millisecond), "850ms"},
		{Elapsed(7900 * time.Millisecond), "7.9s"},
		{Elapsed(185 * time.Second), "3m05s"},
		{Elapsed(62 * time.Minute), "1h02m"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
