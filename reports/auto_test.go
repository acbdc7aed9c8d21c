package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

func TestAutoPara(t *testing.T) {
	narrow := &results.AutoOutcome{AutoRepetitions: results.AutoRepetitions{Min: 6, Max: 20}, Rounds: 7, Narrow: true,
		Widest: &results.IntervalWidth{Variant: "big/exit_only", Metric: "overhead", HalfWidth: 2.25, Target: 2.5, Points: true}}
	if got, want := autoPara(narrow), "Repetitions: auto, 6 to 20 rounds, until the 95% interval of every gated metric of every variant is within half of each gated metric's threshold: "+
		"reached after 7 rounds; widest: `big/exit_only overhead: ±2.25 points (target ±2.5 points)`."; got != want {
		t.Errorf("narrow:\n got %s\nwant %s", got, want)
	}
	max := &results.AutoOutcome{AutoRepetitions: results.AutoRepetitions{Min: 6, Max: 8, HalfWidth: 1}, Rounds: 8,
		Widest: &results.IntervalWidth{Variant: "a/enter_exit", Metric: "ns_per_syscall", NoInterval: true, Target: 1}}
	got := autoPara(max)
	for _, want := range []string{"within ±1% of the median (points for overhead and drop ratio)", "not reached in the maximum of 8 rounds", "a/enter_exit ns_per_syscall: no interval yet"} {
		if !strings.Contains(got, want) {
			t.Errorf("max: %q lacks %q", got, want)
		}
	}
}
