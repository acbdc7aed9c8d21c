package compare

import (
	"strings"
	"testing"
)

// TestCompareScenarioHashWarning: two different scenario hashes warn,
// and are a difference the comparison does not span unless allowed; a
// missing hash on either side is neither.
func TestCompareScenarioHashWarning(t *testing.T) {
	for _, tc := range []struct {
		base, head string
		warn       bool
	}{
		{"aaaa", "bbbb", true},
		{"aaaa", "aaaa", false},
		{"aaaa", "", false},
		{"", "bbbb", false},
	} {
		b, h := gateResults(gateBase), gateResults(gateHead)
		b.Scenario.SHA256, h.Scenario.SHA256 = tc.base, tc.head
		c, err := Compare(b, h, CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Contains(strings.Join(c.Warnings, "\n"), "scenario files differ")
		if got != tc.warn {
			t.Errorf("sha256 %q vs %q: warning %v, want %v (%q)", tc.base, tc.head, got, tc.warn, c.Warnings)
		}
		if blocked := len(c.Blocked()) > 0; blocked != tc.warn {
			t.Errorf("sha256 %q vs %q: blocked %v, want %v (%+v)", tc.base, tc.head, blocked, tc.warn, c.Differences)
		}
	}
}

// TestGateSideMeasures reads the per-variant figures of the hand-made
// gate results (see gateBase): sys_exit runs 1000 times a run for
// 50..54 µs, so its average is 50..54 ns (median 52), all of the kernel
// time is on the exit side, and events are 1000 − drops (median 988).
func TestGateSideMeasures(t *testing.T) {
	vs := gateResults(gateBase).SummarizeVariant("v")
	for key, want := range map[string]float64{
		"exit_avg_ns":    52,
		"exit_time_ns":   52_000,
		"kernel_time_ns": 52_000,
		"ns_per_syscall": 52,
		"exit_share":     100,
		"enter_share":    0,
		"events":         988,
		"drops":          12,
		"syscalls":       1000,
	} {
		ms, ok := vs.Get(key)
		if !ok || ms.Median != want || ms.N != 5 {
			t.Errorf("%s: median %v n %d (present %v), want %v over 5 runs", key, ms.Median, ms.N, ok, want)
		}
	}
	if ms, ok := vs.Get("enter_avg_ns"); ok {
		t.Errorf("enter_avg_ns present without an enter program: %+v", ms.Summary)
	}
}

// TestParseThresholdZero: 0 is a threshold (any significant worsening
// fails); below 0 is not.
func TestParseThresholdZero(t *testing.T) {
	if m, pct, err := ParseThreshold("overhead=0"); err != nil || m != "overhead" || pct != 0 {
		t.Errorf("overhead=0: %q %v %v", m, pct, err)
	}
	if _, _, err := ParseThreshold("overhead=-0.5"); err == nil {
		t.Error("overhead=-0.5 accepted")
	}
}
