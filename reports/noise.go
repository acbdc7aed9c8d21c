package reports

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/reports/page"
)

// noiseRule says when a run of r is flagged, for paragraphs: by the
// thresholds r is judged by.
func noiseRule(r *results.Results) string {
	th := r.NoiseThresholds()
	return fmt.Sprintf("steal above %g%%, or CPU time used outside benchctl above %g%%, of the machine's CPU time",
		th.StealPct, th.OutsidePct)
}

// noiseIntroParas is the one-line warning at the top of a report when
// any measured run is flagged as noisy; nothing otherwise.
func noiseIntroParas(r *results.Results) []string {
	flagged, runs := 0, 0
	var worst []string
	for _, v := range r.Variants {
		fr := r.FlaggedRuns(v.Name)
		flagged += len(fr)
		runs += len(r.RunsOf(v.Name))
		if len(fr) > 0 {
			worst = append(worst, fmt.Sprintf("`%s` %d", page.SanitizeCode(v.Name), len(fr)))
		}
	}
	if flagged == 0 {
		return nil
	}
	return []string{fmt.Sprintf("Warning: %d of %d measured runs were flagged as noisy (%s): %s. "+
		"Their figures are in every table; see Noise, and measure again on a quiet machine before trusting a difference they carry.",
		flagged, runs, noiseRule(r), strings.Join(worst, ", "))}
}

// noiseSection is the noise line of every variant: medians of steal,
// outside CPU and load over its measured runs, and how many were
// flagged; nil when the file has no noise figures.
func noiseSection(r *results.Results) *page.Section {
	if !r.HasNoise() {
		return nil
	}
	s := &page.Section{ID: "noise", Title: "Noise"}
	s.Paras = append(s.Paras,
		"What else the machine did while each workload ran, from `/proc/stat` read at its start and end: "+
			"steal is the CPU time the hypervisor gave to other guests (per CPU when recorded: the largest share among the CPUs the run kept busy), outside CPU the busy CPU time of everything that is not benchctl, "+
			"its descendants (redis-server, redis-benchmark, a command) or its cgroups (an external tracer), both in percent of the CPU time that elapsed; "+
			"load is the 1-minute load average at the end (it counts benchctl's own threads, and lags). "+
			"Medians over the measured runs, the largest value in parentheses.",
		fmt.Sprintf("A run is flagged with %s; `compare` judges gated figures without the values of flagged runs, and calls a figure inconclusive when too few remain.", noiseRule(r)))
	t := page.NewTable("variant", "runs", "flagged", "steal", "outside CPU", "load").AlignRight(1, 2, 3, 4, 5).AsCode(0)
	for _, v := range r.Variants {
		ns := r.SummarizeNoise(v.Name)
		if ns.Runs == 0 {
			t.Add(v.Name, fmt.Sprint(len(r.RunsOf(v.Name))), page.None, page.None, page.None, page.None)
			continue
		}
		t.Add(v.Name, fmt.Sprint(ns.Runs), fmt.Sprint(ns.Flagged),
			fmt.Sprintf("%s (%s)", numfmt.Percent(ns.StealPct), numfmt.Percent(ns.MaxStealPct)),
			fmt.Sprintf("%s (%s)%s", numfmt.Percent(ns.OutsidePct), numfmt.Percent(ns.MaxOutsidePct), outsideCPUsNote(ns)),
			fmt.Sprintf("%.2f", ns.Load1))
	}
	s.Tables = append(s.Tables, t)
	return s
}

// outsideCPUsNote is the outside CPU in CPUs, for files that record it.
func outsideCPUsNote(ns results.NoiseSummary) string {
	if ns.OutsideCPUs == 0 {
		return ""
	}
	return fmt.Sprintf(", %.2f CPUs", ns.OutsideCPUs)
}

// noiseDetailPara is a variant's noise line in its details, naming its
// flagged runs; "" without noise figures.
func noiseDetailPara(r *results.Results, v results.Variant) string {
	ns := r.SummarizeNoise(v.Name)
	if ns.Runs == 0 {
		return ""
	}
	p := fmt.Sprintf("Noise: steal %s, outside CPU %s, load %.2f (medians)", numfmt.Percent(ns.StealPct), numfmt.Percent(ns.OutsidePct), ns.Load1)
	fr := r.FlaggedRuns(v.Name)
	if len(fr) == 0 {
		return p + "; no run flagged."
	}
	var parts []string
	for _, run := range fr {
		parts = append(parts, fmt.Sprintf("round %d (%s)", run.Round, strings.Join(run.Noise.Flags(r.NoiseThresholds()), ", ")))
	}
	return p + "; flagged as noisy: " + strings.Join(parts, "; ") + "."
}

// noisyMark is appended to a value of the variant named name from round:
// ", noisy" when a measured run of it in that round is flagged.
func noisyMark(r *results.Results, name string, round int) string {
	for _, run := range r.FlaggedRuns(name) {
		if run.Round == round {
			return ", noisy"
		}
	}
	return ""
}
