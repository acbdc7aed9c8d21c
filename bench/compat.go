package bench

import "github.com/benchctl/benchctl/bench/results"

// Temporary names for the scenario code while it moves to its own
// package; removed with the move.
type (
	Variant         = results.Variant
	AutoRepetitions = results.AutoRepetitions
	ScenarioInfo    = results.ScenarioInfo
)

const (
	DefaultAutoMin = results.DefaultAutoMin
	DefaultAutoMax = results.DefaultAutoMax
)

var (
	DefaultGate     = results.DefaultGate
	GateMetrics     = results.GateMetrics
	GateMetricNames = results.GateMetricNames
)

func stepRunsFillers(step string) bool { return results.StepRunsFillers(step) }
