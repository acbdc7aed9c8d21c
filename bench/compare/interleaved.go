package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

// SplitTracers turns one results file, whose scenario measured two
// external tracers in the same shuffled rounds (say the base and the head
// build of a tracer under review), into the two files Compare takes: the
// variants of tracer base on one side and of tracer head on the other,
// each renamed "<set>/tracer" (plus "_nostats"), both with the baselines
// they share. Drift of the machine then lands on both sides alike, which
// it does not when base and head are measured one after the other.
func SplitTracers(r *results.Results, base, head string) (*results.Results, *results.Results, error) {
	if base == head {
		return nil, nil, fmt.Errorf("%w: base and head are the same tracer %q", ErrIncomparable, base)
	}
	var tracers []string
	for _, v := range r.Variants {
		if v.External() && !slices.Contains(tracers, v.Tracer) {
			tracers = append(tracers, v.Tracer)
		}
	}
	for _, name := range []string{base, head} {
		if !slices.Contains(tracers, name) {
			return nil, nil, fmt.Errorf("%w: no tracer %q in %s (tracers: %s)", ErrIncomparable, name, r.Scenario.Name, strings.Join(tracers, ", "))
		}
	}
	return tracerSide(r, base), tracerSide(r, head), nil
}

// tracerSide is r with the baselines and the variants of tracer name,
// renamed "<set>/tracer".
func tracerSide(r *results.Results, name string) *results.Results {
	out := *r
	out.Variants, out.Runs = nil, nil
	if r.Provenance != nil {
		// This side's tracer only: its command and binary name the build.
		p := *r.Provenance
		p.Tracers = nil
		if t, ok := r.Provenance.Tracer(name); ok {
			p.Tracers = []results.TracerProvenance{t}
		}
		out.Provenance = &p
	}
	rename := map[string]string{}
	for _, v := range r.Variants {
		switch {
		case v.Baseline:
			rename[v.Name] = v.Name
		case v.External() && v.Tracer == name:
			n := v.Set + "/tracer"
			if !v.Stats {
				n += results.NoStatsSuffix
			}
			rename[v.Name] = n
			v.Name = n
		default:
			continue
		}
		out.Variants = append(out.Variants, v)
	}
	for _, run := range r.Runs {
		if n, ok := rename[run.Variant]; ok {
			run.Variant = n
			out.Runs = append(out.Runs, run)
		}
	}
	return &out
}
