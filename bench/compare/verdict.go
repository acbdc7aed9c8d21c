package compare

import (
	"fmt"
	"math"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// roundValue is one run's value of a measure, with its round and whether
// noise touches it.
type roundValue struct {
	round int
	value float64
	noisy bool
}

// roundValues reads measure m from the measured runs of the variant named
// name, in round order, marking the values noise touches (NoisyRun; never
// for a measure that is NoiseFree).
func roundValues(r *results.Results, name string, m results.Measure) []roundValue {
	v, _ := r.Variant(name)
	viaBaseline := againstBaseline(m)
	var out []roundValue
	for _, run := range r.RunsOf(name) {
		x, ok := m.Value(v, run)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		out = append(out, roundValue{run.Round, x, !m.NoiseFree && r.NoisyRun(run, viaBaseline)})
	}
	return out
}

// gateSamples are the values a gated figure is judged on: all of them,
// and those noise does not touch. For a paired comparison they are the
// rounds both sides have a value in, in the same order, and a pair is
// noisy when either of its values is.
type gateSamples struct {
	allBase, allHead     []float64
	cleanBase, cleanHead []float64
	baseNoisy, headNoisy int
}

func samplesOf(base, head *results.Results, variant string, m results.Measure, paired bool) gateSamples {
	var s gateSamples
	bv, hv := roundValues(base, variant, m), roundValues(head, variant, m)
	if paired {
		byRound := map[int]roundValue{}
		for _, x := range hv {
			byRound[x.round] = x
		}
		bv2, hv2 := bv[:0:0], hv[:0:0]
		for _, b := range bv {
			if h, ok := byRound[b.round]; ok {
				bv2, hv2 = append(bv2, b), append(hv2, h)
			}
		}
		bv, hv = bv2, hv2
	}
	for i, b := range bv {
		s.allBase = append(s.allBase, b.value)
		clean := !b.noisy
		if b.noisy {
			s.baseNoisy++
		}
		if paired {
			if hv[i].noisy {
				clean = false
			}
			if clean {
				s.cleanBase, s.cleanHead = append(s.cleanBase, b.value), append(s.cleanHead, hv[i].value)
			}
			continue
		}
		if clean {
			s.cleanBase = append(s.cleanBase, b.value)
		}
	}
	for _, h := range hv {
		s.allHead = append(s.allHead, h.value)
		if h.noisy {
			s.headNoisy++
		} else if !paired {
			s.cleanHead = append(s.cleanHead, h.value)
		}
	}
	return s
}

// judge fills the row's comparison and verdict from the samples: the
// values noise does not touch decide (all of them when none does),
// with the paired test when paired, and the minimum detectable change
// of that comparison decides between no change and inconclusive.
func judge(row *GateRow, s gateSamples, paired bool, alpha float64) {
	test := stats.TestMannWhitney
	cmp := func(b, h []float64) stats.Delta { return stats.CompareSamples(b, h, alpha) }
	if paired {
		test = stats.TestWilcoxon
		cmp = func(b, h []float64) stats.Delta { return stats.ComparePaired(b, h, alpha) }
	}
	row.Delta = cmp(s.cleanBase, s.cleanHead)
	if s.baseNoisy+s.headNoisy > 0 {
		all := cmp(s.allBase, s.allHead)
		row.Noise = &RowNoise{BaseNoisy: s.baseNoisy, HeadNoisy: s.headNoisy, All: &all}
	}
	mdc := stats.MinDetectable(test, s.cleanBase, s.cleanHead, alpha)
	switch {
	case row.InPoints() || math.IsNaN(mdc) || math.IsInf(mdc, 0):
		row.MDC = mdc
	case row.Base.Median == 0:
		row.MDC = math.Inf(1)
	default:
		row.MDC = 100 * mdc / math.Abs(row.Base.Median)
	}
	row.Verdict = stats.Decide(row.Significant, verdictChange(*row), row.Threshold, row.MDC)
	if row.Verdict == stats.VerdictInconclusive {
		row.Reason = inconclusiveReason(row, s, paired, alpha)
	}
}

// inconclusiveReason says why row could not be decided.
func inconclusiveReason(row *GateRow, s gateSamples, paired bool, alpha float64) string {
	noisy := ""
	if n := s.baseNoisy + s.headNoisy; n > 0 {
		noisy = fmt.Sprintf(" (noisy left out: %d base, %d head)", s.baseNoisy, s.headNoisy)
	}
	n1, n2 := len(s.cleanBase), len(s.cleanHead)
	sizes := fmt.Sprintf("%d+%d clean runs", n1, n2)
	if paired {
		sizes = fmt.Sprintf("%d clean pairs", n1)
	}
	switch {
	case n1 == 0 || n2 == 0:
		return "no clean values on a side" + noisy
	case stats.MinP(row.Test, n1, n2) > alpha:
		return fmt.Sprintf("%s%s: the %s test's smallest possible p is %.3f > alpha %g", sizes, noisy, row.Test, stats.MinP(row.Test, n1, n2), alpha)
	}
	return fmt.Sprintf("a change of up to %s could go unseen (%.0f%% power, %s%s), more than the threshold %s",
		FormatAmount(row, row.MDC), 100*stats.Power, sizes, noisy, FormatAmount(row, row.Threshold))
}

// FormatAmount formats x in the unit of row's change: "3.1%", or
// "3.1 pts" for metrics that are percentages; "∞" when infinite.
func FormatAmount(row *GateRow, x float64) string {
	unit := "%"
	if row.InPoints() {
		unit = " pts"
	}
	switch {
	case math.IsInf(x, 1):
		return "∞"
	case math.IsNaN(x):
		return "?"
	}
	return fmt.Sprintf("%.3g%s", x, unit)
}

// Inconclusive returns the rows the data could not decide.
func (c *Comparison) Inconclusive() []GateRow { return c.rowsWith(stats.VerdictInconclusive) }

// NoChange returns the rows that did not change beyond their threshold.
func (c *Comparison) NoChange() []GateRow { return c.rowsWith(stats.VerdictNoChange) }

// Improvements returns the rows that improved beyond their threshold.
func (c *Comparison) Improvements() []GateRow { return c.rowsWith(stats.VerdictImprovement) }

// Test names the test that decided the comparison's rows.
func (c *Comparison) Test() string {
	if c.Paired {
		return stats.TestWilcoxon
	}
	return stats.TestMannWhitney
}

// Status is the outcome of the whole gate.
type Status string

// Gate outcomes, in the order they take precedence.
const (
	// StatusRegression: at least one gated figure regressed.
	StatusRegression Status = "regression"
	// StatusInconclusive: no regression, but at least one figure could
	// not be decided, and inconclusive figures do not pass.
	StatusInconclusive Status = "inconclusive"
	// StatusPass: no regression, and every figure decided (or the
	// undecided ones let through by InconclusivePass).
	StatusPass Status = "pass"
)

// Status is the gate's outcome: base and head that cannot be compared
// (Blocked) make it inconclusive whatever the rows say, since their
// changes are not the head's; then a regression fails, a gated figure
// that could not be computed on a side (Missing) makes it inconclusive
// whatever InconclusivePass says, an inconclusive figure fails unless
// InconclusivePass, and only then does it pass. A comparison with no
// gated figure at all is inconclusive: it decided nothing.
func (c *Comparison) Status() Status {
	switch {
	case len(c.Blocked()) > 0:
		return StatusInconclusive
	case len(c.Regressions()) > 0 || len(c.LoadRegressions()) > 0:
		return StatusRegression
	case len(c.Missing) > 0:
		return StatusInconclusive
	case (len(c.Inconclusive()) > 0 || len(c.Rows) == 0 && len(c.Load) == 0) && !c.InconclusivePass:
		return StatusInconclusive
	}
	return StatusPass
}
