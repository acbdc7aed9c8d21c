package results

import "github.com/benchctl/benchctl/bench/stats"

// StatsCost compares one rung of the ladder run with program stats on
// and with them off, against the baseline of the same stats state:
// BPF_ENABLE_STATS adds two clock reads to every program run, mostly
// outside the run time it measures, so the overhead with stats on less
// the overhead with stats off is what the stats themselves cost there.
type StatsCost struct {
	Step       string // "" is the full mode
	Mode       Mode
	OnVariant  string
	OffVariant string
	// On and Off are the overheads (throughput points lost against the
	// round's baseline of the same stats state); CostPoints the medians'
	// difference, On less Off; Delta the Mann-Whitney comparison of the
	// two samples (off → on).
	On, Off    stats.Summary
	CostPoints float64
	Delta      stats.Delta
}

// statsOffVariant finds benchctl's variant of set, mode and step with
// stats off and toctou none, as ladderVariant does with stats on.
func (r *Results) statsOffVariant(set string, mode Mode, step string) (Variant, bool) {
	for _, v := range r.Variants {
		if v.Set == set && v.Mode == mode && v.Step == step && !v.Stats && !v.External() && !v.Reserve &&
			(v.TOCTOU == "" || v.TOCTOU == TOCTOUNone) {
			return v, true
		}
	}
	return Variant{}, false
}

// statsCosts compares every rung of set that was run with stats on and
// off, in ladder order, enter_exit first.
func (r *Results) statsCosts(set string, alpha float64) []StatsCost {
	m, _ := MeasureByKey("throughput_change")
	var out []StatsCost
	for _, mode := range []Mode{ModeEnterExit, ModeExitOnly} {
		for _, step := range LadderSteps {
			if step == "none" {
				continue
			}
			on, ok1 := r.ladderVariant(set, mode, step)
			off, ok2 := r.statsOffVariant(set, mode, step)
			if !ok1 || !ok2 {
				continue
			}
			a, _ := r.Sample(on.Name, m)
			b, _ := r.Sample(off.Name, m)
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			// throughput_change (percent) is negative when slower:
			// overhead is its negation, in points.
			for i := range a {
				a[i] = -a[i]
			}
			for i := range b {
				b[i] = -b[i]
			}
			c := StatsCost{Step: step, Mode: mode, OnVariant: on.Name, OffVariant: off.Name,
				On: stats.Summarize(a), Off: stats.Summarize(b), Delta: stats.CompareSamples(b, a, alpha)}
			c.CostPoints = c.On.Median - c.Off.Median
			out = append(out, c)
		}
	}
	return out
}
