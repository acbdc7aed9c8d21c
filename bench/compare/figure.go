package compare

import (
	"fmt"
	"math"

	"github.com/benchctl/benchctl/bench/results"
)

// figure is what one side has of one gated figure: the finite values
// (every measured run's, or every capacity search's), how many runs had
// a value that is not finite, and how many runs or searches there were.
type figure struct {
	values    []float64
	nonFinite int
	example   float64 // one of the values that are not finite
	of        int
	noun      string // "measured runs" or "searches"
}

// applies tells whether the side has the figure at all, finite or not.
func (f figure) applies() bool { return len(f.values) > 0 || f.nonFinite > 0 }

// missing says why the figure cannot be computed on this side ("" when
// it can): it has no finite value, or some of its values are not
// finite.
func (f figure) missing() string {
	switch {
	case f.nonFinite > 0:
		return fmt.Sprintf("is %v in %d of %d %s: not a figure the gate can judge", f.example, f.nonFinite, f.of, f.noun)
	case len(f.values) == 0:
		return fmt.Sprintf("has no value in any of %d %s: it cannot be computed", f.of, f.noun)
	}
	return ""
}

// figureOf reads the gated metric (measure m) of the variant named name
// in r: the capacities of its searches for the capacity metric, the
// measure of every measured run otherwise.
func figureOf(r *results.Results, name, metric string, m results.Measure) figure {
	f := figure{noun: "measured runs"}
	add := func(x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			f.nonFinite++
			f.example = x
			return
		}
		f.values = append(f.values, x)
	}
	if metric == results.GateCapacity {
		f.noun = "searches"
		if c, ok := r.CapacityOf(name); ok {
			f.of = len(c.Searches)
			for _, s := range c.Searches {
				// A search that found no capacity has none (0), as
				// CapacitySample reads it.
				if s.Capacity > 0 || math.IsNaN(s.Capacity) {
					add(s.Capacity)
				}
			}
		}
		return f
	}
	v, _ := r.Variant(name)
	runs := r.RunsOf(name)
	f.of = len(runs)
	for _, run := range runs {
		if x, ok := m.Value(v, run); ok {
			add(x)
		}
	}
	return f
}
