package bench

// GateMetrics are the metrics a scenario's gate section and
// `compare --threshold METRIC=PCT` may name, with what each measures.
// Each is a relative figure measured inside one run, so results from two
// machines can be compared.
var GateMetrics = map[string]string{
	"ns_per_syscall": "kernel ns of all attached programs per syscall the machine made (lower is better)",
	"kernel_time":    "total kernel time of all attached programs (lower is better)",
	"overhead":       "throughput lost against the same round's baseline run, in percent (lower is better)",
	"drop_ratio":     "events dropped / events attempted (lower is better)",
}

// DefaultGate are the thresholds (percent change) used when a scenario
// names none.
var DefaultGate = map[string]float64{
	"ns_per_syscall": 5,
	"overhead":       10,
}
