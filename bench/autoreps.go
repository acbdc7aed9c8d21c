package bench

import "github.com/benchctl/benchctl/bench/results"

// autoDone says whether an adaptive run can stop after rounds measured
// rounds, and the widest interval.
func autoDone(r *results.Results, a results.AutoRepetitions, gate map[string]float64, rounds int) (narrow bool, widest *results.IntervalWidth) {
	ws := r.IntervalWidths(gate, a.HalfWidth)
	if len(ws) == 0 {
		return rounds >= a.Min, nil
	}
	w := ws[0]
	return rounds >= a.Min && w.Ok(), &w
}
