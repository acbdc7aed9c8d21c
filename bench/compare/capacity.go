package compare

import "github.com/benchctl/benchctl/bench/results"

// verdictChange is the change the verdict judges, signed so that
// positive is worse: a higher-is-better metric (capacity) that fell is
// a positive change.
func verdictChange(row GateRow) float64 {
	if row.Measure.Better > 0 {
		return -row.Change()
	}
	return row.Change()
}

// measuredSomehow tells whether variant name has figures to compare in
// r: measured runs, or capacity searches.
func measuredSomehow(r *results.Results, name string) bool {
	return len(r.RunsOf(name)) > 0 || len(r.CapacitySample(name)) > 0
}
