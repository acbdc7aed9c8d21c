package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/reports/comparison"
)

// compareFlags are compare's flags.
type compareFlags struct {
	outputFlags
	baseTracer, headTracer string
	inconclusive           string
	loadGrowth, loadLimit  float64
	thresholds             map[string]float64
	allow                  []string
}

func newCompareCmd() *cobra.Command {
	f := compareFlags{thresholds: map[string]float64{}}
	cmd := &cobra.Command{
		Use:   "compare BASE.json HEAD.json",
		Short: "gate HEAD.json against BASE.json: exit 1 on a significant regression, 4 when undecided",
		Long:  compareHelp,
		RunE:  func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	f.register(fs, "comparison", comparison.Formats, comparison.FormatText, "the Mann-Whitney U tests", stats.DefaultAlpha)
	fs.StringVar(&f.baseTracer, "base-tracer", "", "with one results file: compare the variants of this external `TRACER` (e.g. the base build) ...")
	fs.StringVar(&f.headTracer, "head-tracer", "", "... against those of this `TRACER` (the head build), measured in the same rounds")
	fs.StringVar(&f.inconclusive, "inconclusive", "fail", "what a figure the data cannot decide does to the gate: `fail` (exit 4) or pass (exit 0, still printed)")
	fs.Float64Var(&f.loadGrowth, "load-growth", compare.DefaultLoadGrowth, "load gate: a program's verified instructions may grow by at most `PCT` percent")
	fs.Float64Var(&f.loadLimit, "load-limit", compare.DefaultLoadLimit, "load gate: a program may use at most `PCT` percent of the verifier's 1,000,000-instruction limit")
	fs.Func("allow-env-change", "compare files measured apart in `WHAT` anyway (repeatable, or a comma list: "+strings.Join(compare.EnvChanges, ", ")+
		"); otherwise such files are inconclusive (exit 4). A TCG guest, or a file compared with itself, is never compared", func(s string) error {
		names, err := compare.ParseEnvChanges(s)
		f.allow = append(f.allow, names...)
		return err
	})
	fs.Func("threshold", "override a gate threshold, `METRIC=PCT` (repeatable; percent change, or percentage points for the metrics that are percentages: overhead, drop_ratio, latency_p50_change, latency_p99_change; metrics: "+strings.Join(results.GateMetricNames(), ", ")+")", func(s string) error {
		m, pct, err := compare.ParseThreshold(s)
		if err != nil {
			return err
		}
		f.thresholds[m] = pct
		return nil
	})
	return cmd
}

const compareHelp = `Usage: benchctl compare BASE.json HEAD.json [--threshold METRIC=PCT ...] [--alpha 0.05] [--format text|markdown|json|github-action-benchmark] [-o FILE]
       benchctl compare RESULTS.json --base-tracer BASE --head-tracer HEAD [...]

Compares every gated metric of every variant. A change is a regression when it is
significant (p <= alpha) and beyond its threshold; thresholds come from the base file's
scenario gate section (default: ns_per_syscall 5%, overhead 5 percentage points).
Values of runs flagged as noisy (steal or CPU used outside benchctl above its thresholds) are
left out. A figure that is neither a regression nor an improvement is "no change" only when the
test would have caught a change as large as its threshold (80% power); otherwise it is inconclusive.
With --base-tracer/--head-tracer, base and head are paired by round (Wilcoxon signed-rank).
The load gate compares each program's verified instructions exactly (no repetitions needed): a
program whose count grew past --load-growth, passed --load-limit of the limit, or that the
kernel refused on head only, is a regression.
Files measured apart on another kernel, CPU or kind of machine, of another workload, scenario
file or schema are not compared (exit 4, naming what differed) unless --allow-env-change
names it; a TCG guest's timings, and a file compared with itself, never are. A gated figure
that cannot be computed on a side (no value, or +Inf or NaN) is inconclusive, even with
--inconclusive pass.
Exit codes: 0 pass; 1 a regression; 2 files that cannot be compared or bad usage;
4 inconclusive: files that were measured apart (above), a gated figure missing on a side, or
no regression but a figure the data could not decide (0 with --inconclusive pass).`

func (f *compareFlags) run(pos []string) error {
	interleaved := f.baseTracer != "" || f.headTracer != ""
	switch {
	case interleaved && (f.baseTracer == "" || f.headTracer == ""):
		return usageError("--base-tracer and --head-tracer go together")
	case interleaved && len(pos) != 1:
		return usageError("with --base-tracer and --head-tracer, compare takes one results file, got %s", argCount(len(pos)))
	case !interleaved && len(pos) != 2:
		return usageError("compare takes two results files, BASE.json and HEAD.json, got %s", argCount(len(pos)))
	}
	if err := f.check(); err != nil {
		return err
	}
	if f.inconclusive != "pass" && f.inconclusive != "fail" {
		return usageError("--inconclusive %q: want pass or fail", f.inconclusive)
	}
	if !(f.loadGrowth > 0) || !(f.loadLimit > 0 && f.loadLimit <= 100) {
		return usageError("--load-growth %v must be above 0 and --load-limit %v between 0 (excluded) and 100", f.loadGrowth, f.loadLimit)
	}
	base, head, what, err := f.read(pos, interleaved)
	if err != nil {
		return err
	}
	// The base file's scenario gives the noise thresholds, as it gives
	// the gate's.
	noise, err := f.noise.thresholds(base.Scenario.Noise)
	if err != nil {
		return err
	}
	base.SetNoiseThresholds(noise)
	head.SetNoiseThresholds(noise)
	c, err := compare.Compare(base, head, compare.CompareOptions{Thresholds: f.thresholds, Alpha: f.alpha,
		Paired: interleaved, InconclusivePass: f.inconclusive == "pass",
		LoadGrowth: f.loadGrowth, LoadLimit: f.loadLimit, AllowEnvChange: f.allow})
	if err != nil {
		return usageError("comparing %s: %v", what, err)
	}
	var buf bytes.Buffer
	if err := comparison.Render(&buf, c, f.format); err != nil {
		return err
	}
	if err := writeOutput(f.out, buf.Bytes()); err != nil {
		return err
	}
	return gateError(c)
}

// read reads the base and head of the comparison, from two results
// files or, interleaved, from the tracers of one, and says what they are.
func (f *compareFlags) read(pos []string, interleaved bool) (base, head *results.Results, what string, err error) {
	what = strings.Join(pos, " and ")
	if interleaved {
		r, err := results.ReadResults(pos[0])
		if err != nil {
			return nil, nil, "", usageError("cannot compare: %v", err)
		}
		if base, head, err = compare.SplitTracers(r, f.baseTracer, f.headTracer); err != nil {
			return nil, nil, "", usageError("cannot compare: %v", err)
		}
		what = fmt.Sprintf("tracers %s and %s in %s", f.baseTracer, f.headTracer, pos[0])
	} else {
		if base, err = results.ReadResults(pos[0]); err != nil {
			return nil, nil, "", usageError("cannot compare: %v", err)
		}
		if head, err = results.ReadResults(pos[1]); err != nil {
			return nil, nil, "", usageError("cannot compare: %v", err)
		}
	}
	return base, head, what, nil
}

// gateError is what the gate decided, as the exit code says it: a
// regression is exit 1 naming the first figures that regressed, an
// inconclusive gate exit 4 saying why; a pass is nil.
func gateError(c *compare.Comparison) error {
	switch c.Status() {
	case compare.StatusRegression:
		var all []string
		for _, r := range c.Regressions() {
			all = append(all, r.Variant+" "+r.Metric)
		}
		for _, r := range c.LoadRegressions() {
			all = append(all, r.Variant+" "+r.Program+" load "+r.Verdict)
		}
		names := all
		if len(all) > 3 {
			names = append(all[:3:3], fmt.Sprintf("and %d more", len(all)-3))
		}
		return failedError(fmt.Errorf("%d gated regression(s): %s", len(all), strings.Join(names, ", ")))
	case compare.StatusInconclusive:
		if blocked := c.Blocked(); len(blocked) > 0 {
			var what []string
			for _, d := range blocked {
				what = append(what, d.String())
			}
			return inconclusiveError(fmt.Errorf("inconclusive: base and head cannot be compared: %s", strings.Join(what, "; ")))
		}
		if len(c.Missing) > 0 {
			return inconclusiveError(fmt.Errorf("inconclusive: %d gated figure(s) could not be computed on a side (--inconclusive pass does not let them through): %s",
				len(c.Missing), c.Missing[0]))
		}
		return inconclusiveError(fmt.Errorf("inconclusive: %d of %d gated figures could not be decided (--inconclusive pass lets them through)",
			len(c.Inconclusive()), len(c.Rows)))
	}
	return nil
}
