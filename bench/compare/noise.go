package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// RowNoise is what noise did to one gated figure: how many of each
// side's values come from noisy runs (see NoisyRun), left out of the
// comparison that decides, and the comparison with them (All), for the
// reader.
type RowNoise struct {
	BaseNoisy, HeadNoisy int
	All                  *stats.Delta
}

// againstBaseline tells whether measure m is measured against the
// baseline run of the round: the overhead and every other "_change".
func againstBaseline(m results.Measure) bool {
	return m.Key == "overhead" || strings.HasSuffix(m.Key, "_change")
}

// noisySample reads measure m from the measured runs of the variant named
// name, as Sample does, and returns the values of the runs that noise
// does not touch (see NoisyRun) and how many values it does.
func noisySample(r *results.Results, name string, m results.Measure) (clean []float64, noisy int) {
	v, _ := r.Variant(name)
	viaBaseline := againstBaseline(m)
	for _, run := range r.RunsOf(name) {
		x, ok := m.Value(v, run)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if r.NoisyRun(run, viaBaseline) {
			noisy++
			continue
		}
		clean = append(clean, x)
	}
	return clean, noisy
}

// noiseWarnings says, per side, how many measured runs were flagged and
// which, for Comparison.Warnings.
func noiseWarnings(base, head *results.Results) []string {
	var w []string
	for _, f := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"head", head}} {
		var flagged []string
		n := 0
		th := f.r.NoiseThresholds()
		for _, v := range f.r.Variants {
			for _, run := range f.r.FlaggedRuns(v.Name) {
				n++
				if len(flagged) < 4 {
					flagged = append(flagged, fmt.Sprintf("%s round %d (%s)", run.Variant, run.Round, strings.Join(run.Noise.Flags(th), ", ")))
				}
			}
		}
		if n == 0 {
			continue
		}
		if n > len(flagged) {
			flagged = append(flagged, fmt.Sprintf("and %d more", n-len(flagged)))
		}
		w = append(w, fmt.Sprintf("%s is noisy: %d of %d measured runs flagged (steal > %g%% or CPU outside benchctl > %g%%): %s; "+
			"gated figures are judged without them",
			f.side, n, len(f.r.Measured()), th.StealPct, th.OutsidePct, strings.Join(flagged, "; ")))
	}
	return w
}
