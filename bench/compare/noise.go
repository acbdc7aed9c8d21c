package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// VerdictNoisy is the verdict of a gated figure that regresses over all
// runs but not once the runs flagged as noisy are left out: the
// regression is not called (it does not fail the gate), and the output
// says to measure again on a quiet machine.
const VerdictNoisy stats.Verdict = "noisy"

// RowNoise is what noise does to one gated figure: how many of each
// side's values come from noisy runs (see NoisyRun) and, when the figure
// regresses, the comparison without them.
type RowNoise struct {
	BaseNoisy, HeadNoisy int
	// Clean is the comparison without the noisy values and CleanVerdict
	// its verdict; set only when the comparison of all values is a
	// regression.
	Clean        *stats.Delta
	CleanVerdict stats.Verdict
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

// applyNoise checks a gated row against noise: when either sample holds
// values of noisy runs it records how many, and a regression that does
// not stay one without them becomes VerdictNoisy.
func applyNoise(row *GateRow, base, head *results.Results, alpha float64) {
	bClean, bNoisy := noisySample(base, row.Variant, row.Measure)
	hClean, hNoisy := noisySample(head, row.Variant, row.Measure)
	if bNoisy == 0 && hNoisy == 0 {
		return
	}
	row.Noise = &RowNoise{BaseNoisy: bNoisy, HeadNoisy: hNoisy}
	if row.Verdict != stats.VerdictRegression {
		return
	}
	clean := stats.CompareSamples(bClean, hClean, alpha)
	cleanRow := GateRow{Measure: row.Measure, Threshold: row.Threshold, Delta: clean}
	row.Noise.Clean = &clean
	row.Noise.CleanVerdict = stats.Decide(clean.Significant, cleanRow.Change(), row.Threshold)
	if row.Noise.CleanVerdict != stats.VerdictRegression {
		row.Verdict = VerdictNoisy
	}
}

// NoisyRows returns the rows whose regression was not called because it
// rests on noisy runs.
func (c *Comparison) NoisyRows() []GateRow { return c.rowsWith(VerdictNoisy) }

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
		for _, v := range f.r.Variants {
			for _, run := range f.r.FlaggedRuns(v.Name) {
				n++
				if len(flagged) < 4 {
					flagged = append(flagged, fmt.Sprintf("%s round %d (%s)", run.Variant, run.Round, strings.Join(run.Noise.Flags(), ", ")))
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
			"a regression seen only with them is not called",
			f.side, n, len(f.r.Measured()), stats.NoiseStealPct, stats.NoiseOutsidePct, strings.Join(flagged, "; ")))
	}
	return w
}
