package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/changepoint"
	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/history"
)

// checkFlags are history check's flags.
type checkFlags struct {
	db, since, variant, relative string
	metrics                      []string
	thresholds                   map[string]float64
	detector                     *changepoint.Options
}

func newHistoryCheckCmd() *cobra.Command {
	f := checkFlags{thresholds: map[string]float64{}}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "the nightly check: exit 1 on a regression since, 4 on a series too short",
		Long: "Usage: benchctl history check [--metric M ...] [--variant V [--relative-to BASE]] [--threshold M=PCT ...] [--since DATE|BUILD] [--db URL]\n\n" +
			"Exits 1 when the latest change of a gated figure's series is a regression beyond its threshold\n(or the series drifts beyond it), 4 when a series is too short to say, else 0.",
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.db, "db", historyDB(), historyDBHelp)
	fs.Func("metric", "check only this gated `figure` (repeatable; default: every figure the latest run's scenario gates)", func(s string) error {
		if _, ok := results.GateMeasure(s); !ok {
			return fmt.Errorf("unknown figure %q (valid: %s)", s, strings.Join(results.GateMetricNames(), ", "))
		}
		f.metrics = append(f.metrics, s)
		return nil
	})
	fs.Func("threshold", "override a gate threshold, `METRIC=PCT` (repeatable; percentage points for the figures that are percentages)", func(s string) error {
		m, pct, err := compare.ParseThreshold(s)
		if err != nil {
			return err
		}
		f.thresholds[m] = pct
		return nil
	})
	fs.StringVar(&f.since, "since", "", sinceHelp)
	fs.StringVar(&f.variant, "variant", "", "check only this `variant`")
	fs.StringVar(&f.relative, "relative-to", "", "with --variant: check the variant's series against this `BASE` variant of the same files (see show)")
	f.detector = detectorFlags(fs)
	return cmd
}

func (f *checkFlags) run(pos []string) error {
	if len(pos) > 0 {
		return usageError("history check takes no arguments, got %q", pos)
	}
	if f.relative != "" && f.variant == "" {
		return usageError("--relative-to needs --variant")
	}
	s, err := openHistory(f.db)
	if err != nil {
		return err
	}
	defer s.Close()
	metrics := f.metrics
	if len(metrics) == 0 {
		metrics = results.GateMetricNames()
	}
	regressions, inconclusive, checked := 0, 0, 0
	for _, m := range metrics {
		points, err := readSeries(s, history.Query{Metric: m, Variant: f.variant}, f.relative)
		if err != nil {
			return err
		}
		from, err := parseSince(f.since, points)
		if err != nil {
			return err
		}
		for _, series := range history.Group(points, nil) {
			last := series.Points[len(series.Points)-1]
			threshold, gated := f.thresholds[m]
			if !gated {
				gate := last.Gate
				if len(gate) == 0 {
					gate = results.DefaultGate
				}
				threshold, gated = gate[m]
			}
			if !gated {
				continue
			}
			checked++
			v := history.Check(history.Analyze(series, *f.detector), threshold, from)
			switch v.Status {
			case history.StatusRegression:
				regressions++
			case history.StatusInconclusive:
				inconclusive++
			}
			fmt.Printf("%-12s %s: %s\n", v.Status, series.Key, v.Reason)
		}
	}
	switch {
	case regressions > 0:
		fmt.Printf("%d of %d gated series regressed\n", regressions, checked)
		return failedError(errSilent)
	case checked == 0:
		fmt.Println("no gated series recorded: nothing decided")
		return inconclusiveError(errSilent)
	case inconclusive > 0:
		fmt.Printf("no regression; %d of %d gated series too short to say\n", inconclusive, checked)
		return inconclusiveError(errSilent)
	}
	fmt.Printf("no regression in %d gated series\n", checked)
	return nil
}
