package compare

import "github.com/benchctl/benchctl/bench/results"

// gateSample is the sample of metric m for variant name in r: the
// capacities of its searches for the capacity metric, the measure read
// from every measured run otherwise.
func gateSample(r *results.Results, name, metric string, m results.Measure) []float64 {
	if metric == results.GateCapacity {
		return r.CapacitySample(name)
	}
	s, _ := r.Sample(name, m)
	return s
}

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
