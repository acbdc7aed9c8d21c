package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

// ParseThreshold parses "METRIC=PCT" (e.g. "overhead=10" or
// "ns_per_syscall=2.5%").
func ParseThreshold(s string) (metric string, pct float64, err error) {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return "", 0, fmt.Errorf("parsing threshold %q: want METRIC=PCT", s)
	}
	if _, known := results.GateMetrics[name]; !known {
		return "", 0, fmt.Errorf("parsing threshold %q: unknown metric %q (known: %s)", s, name, strings.Join(results.GateMetricNames(), ", "))
	}
	val = strings.TrimSuffix(strings.TrimSpace(val), "%")
	pct, err = strconv.ParseFloat(val, 64)
	if err != nil || pct < 0 || math.IsNaN(pct) || math.IsInf(pct, 0) {
		return "", 0, fmt.Errorf("parsing threshold %q: want a non-negative percentage", s)
	}
	return name, pct, nil
}

// Thresholds returns the thresholds a comparison applies: the scenario's
// gate section (DefaultGate when it is empty) with overrides on top. It
// fails on a metric name that is not in GateMetrics.
func Thresholds(gate, overrides map[string]float64) (map[string]float64, error) {
	if len(gate) == 0 {
		gate = results.DefaultGate
	}
	out := make(map[string]float64, len(gate)+len(overrides))
	for _, src := range []map[string]float64{gate, overrides} {
		for name, pct := range src {
			if _, ok := results.GateMetrics[name]; !ok {
				return nil, fmt.Errorf("checking gate: unknown metric %q (known: %s)", name, strings.Join(results.GateMetricNames(), ", "))
			}
			out[name] = pct
		}
	}
	return out, nil
}
