package compare

import (
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// capacityResults is a capacity run: one variant, no runs, searches with
// these capacities.
func capacityResults(caps ...float64) *results.Results {
	c := results.Capacity{Variant: "s/exit_only"}
	for _, x := range caps {
		c.Searches = append(c.Searches, results.CapacitySearch{Capacity: x, Limit: results.LimitConsumer})
	}
	return &results.Results{
		Schema:   results.SchemaVersion,
		Scenario: results.ScenarioInfo{Name: "capacity", Gate: map[string]float64{"capacity": 5}},
		Complete: true,
		Variants: []results.Variant{{Name: "s/exit_only", Mode: results.ModeExitOnly, Stats: true}},
		Capacity: []results.Capacity{c},
	}
}

func TestCapacityGate(t *testing.T) {
	base := capacityResults(100e3, 101e3, 99e3, 100.5e3, 99.5e3, 100.2e3)
	for _, tc := range []struct {
		name string
		head *results.Results
		want stats.Verdict
	}{
		{"lower capacity is a regression", capacityResults(80e3, 81e3, 79e3, 80.5e3, 79.5e3, 80.2e3), stats.VerdictRegression},
		{"higher capacity is an improvement", capacityResults(120e3, 121e3, 119e3, 120.5e3, 119.5e3, 120.2e3), stats.VerdictImprovement},
		{"within the threshold", capacityResults(98e3, 99e3, 97e3, 98.5e3, 97.5e3, 98.2e3), stats.VerdictNoChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare(base, tc.head, CompareOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Rows) != 1 || c.Rows[0].Metric != "capacity" {
				t.Fatalf("rows %+v, want one capacity row", c.Rows)
			}
			if got := c.Rows[0].Verdict; got != tc.want {
				t.Errorf("verdict %v (change %.1f%%), want %v", got, c.Rows[0].Change(), tc.want)
			}
			if regressed(c) != (tc.want == stats.VerdictRegression) {
				t.Errorf("regressed = %v", regressed(c))
			}
		})
	}
	// A capacity gate on files without searches gates nothing, says so,
	// and cannot pass, even when told to pass what it cannot decide.
	plain := func(seed int64) *results.Results {
		r := capacityResults()
		r.Capacity, r.Seed = nil, seed
		r.Runs = []results.Run{{Variant: "s/exit_only"}}
		return r
	}
	c, err := Compare(plain(1), plain(2), CompareOptions{InconclusivePass: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 0 || len(c.Missing) != 1 || c.Status() != StatusInconclusive {
		t.Errorf("rows %d, missing %q, status %s: want none, one and inconclusive", len(c.Rows), c.Missing, c.Status())
	}
}
