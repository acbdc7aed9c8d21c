package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/changepoint"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/history"
)

// showFlags are history show's flags.
type showFlags struct {
	db, metric, variant, relative, scenario, format, since, merge string
	env                                                           map[string]string
	detector                                                      *changepoint.Options
}

func newHistoryShowCmd() *cobra.Command {
	f := showFlags{env: map[string]string{}}
	cmd := &cobra.Command{
		Use:   "show --metric M",
		Short: "the change points of each series of a figure",
		Long: "Usage: benchctl history show --metric M [--variant V [--relative-to BASE]] [--scenario S] [--env KEY=VALUE ...] [--merge KEYS] [--since DATE|BUILD] [--format text|markdown|json|html] [--db URL]\n\n" +
			"Finds the change points (E-Divisive means, permutation test) of each series: one figure of\none variant of one scenario on one host, kernel, CPU model and guest (--merge host,kernel,...\njoins them).",
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.db, "db", historyDB(), historyDBHelp)
	fs.StringVar(&f.metric, "metric", "", "the gated `figure` whose series to show: "+strings.Join(results.GateMetricNames(), ", "))
	fs.StringVar(&f.variant, "variant", "", "only this `variant`")
	fs.StringVar(&f.relative, "relative-to", "", "with --variant: the series of the variant against this `BASE` variant of the same files (percent of it, or points), which cancels what moved both")
	fs.StringVar(&f.scenario, "scenario", "", "only this `scenario` (its name)")
	fs.StringVar(&f.format, "format", "text", "output `format`: "+strings.Join(history.Formats, ", "))
	fs.StringVar(&f.since, "since", "", sinceHelp)
	fs.StringVar(&f.merge, "merge", "", "environment `KEYS` that do not split series (comma-separated: "+strings.Join(history.EnvKeys, ", ")+")")
	fs.Func("env", "only runs whose environment has `KEY=VALUE` (repeatable; keys: "+strings.Join(history.EnvKeys, ", ")+")", func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		if err := history.CheckEnvKey(k); err != nil {
			return err
		}
		f.env[k] = v
		return nil
	})
	f.detector = detectorFlags(fs)
	return cmd
}

// sinceHelp is the help of --since, of show and check.
const sinceHelp = "only change points from this `DATE` (2006-01-02) or build (commit prefix or version) on"

func (f *showFlags) run(pos []string) error {
	if len(pos) > 0 {
		return usageError("history show takes no arguments, got %q", pos)
	}
	if _, ok := results.GateMeasure(f.metric); !ok {
		return usageError("--metric %q: want one of %s", f.metric, strings.Join(results.GateMetricNames(), ", "))
	}
	if !slices.Contains(history.Formats, f.format) {
		return usageError("unknown history format %q (valid: %s)", f.format, strings.Join(history.Formats, ", "))
	}
	if f.relative != "" && f.variant == "" {
		return usageError("--relative-to needs --variant")
	}
	merged := splitList(f.merge)
	for _, k := range merged {
		if err := history.CheckEnvKey(k); err != nil {
			return usageError("--merge: %v", err)
		}
	}
	s, err := openHistory(f.db)
	if err != nil {
		return err
	}
	defer s.Close()
	points, err := readSeries(s, history.Query{Metric: f.metric, Variant: f.variant, Scenario: f.scenario}, f.relative)
	if err != nil {
		return err
	}
	from, err := parseSince(f.since, points)
	if err != nil {
		return err
	}
	var as []history.Analysis
	for _, series := range history.Group(history.Filter(points, f.env), merged) {
		a := history.Analyze(series, *f.detector)
		a.Changes = slices.DeleteFunc(a.Changes, func(c history.Change) bool { return c.FirstAfter.Started.Before(from) })
		as = append(as, a)
	}
	return history.Write(os.Stdout, f.format, as)
}
