package reports

import (
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestOpUnit: the CPU table names the unit of work of the workload at
// hand: redis-benchmark's requests (its unit is requests/s), a command's
// runs, the generator's ops.
func TestOpUnit(t *testing.T) {
	for unit, want := range map[string]string{
		"requests/s": "per request", "req/s": "per request", "runs/s": "per run of the command", "ops/s": "per op", "": "per op",
	} {
		if got := opUnit([]results.VariantStats{{}, {Unit: unit}}); got != want {
			t.Errorf("unit %q: %q, want %q", unit, got, want)
		}
	}
}
