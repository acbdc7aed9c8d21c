package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/bench/changepoint"
	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/history"
)

func newHistoryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history",
		Short: "keep runs in a database (SQLite or PostgreSQL) and find where a figure changed: import, show, check",
		Long: `Usage: benchctl history import [--db URL] FILE|DIR...
       benchctl history show --metric M [--variant V [--relative-to BASE]] [--scenario S] [--env KEY=VALUE ...] [--merge KEYS] [--since DATE|BUILD] [--format text|markdown|json|html] [--db URL]
       benchctl history check [--metric M ...] [--variant V [--relative-to BASE]] [--threshold M=PCT ...] [--since DATE|BUILD] [--db URL]

The store is an SQLite file (default ` + history.DefaultURL + `, or $BENCHCTL_HISTORY) or a
postgres:// URL. import records results files, each once (keyed by its content's SHA-256).
show finds the change points (E-Divisive means, permutation test) of each series: one figure of
one variant of one scenario on one host, kernel, CPU model and guest (--merge host,kernel,...
joins them). check exits 1 when the latest change of a gated figure's series is a regression
beyond its threshold (or the series drifts beyond it), 4 when a series is too short to say, else 0.`,
		Annotations: map[string]string{footer: "Run 'benchctl history SUBCOMMAND -h' for its flags."},
		RunE:        needsSubcommand,
	}
	cmd.AddCommand(newHistoryImportCmd(), newHistoryShowCmd(), newHistoryCheckCmd())
	return cmd
}

// historyDB is the default of the store's flag, --db: $BENCHCTL_HISTORY,
// else history.DefaultURL.
func historyDB() string {
	if def := os.Getenv("BENCHCTL_HISTORY"); def != "" {
		return def
	}
	return history.DefaultURL
}

const historyDBHelp = "the history store: an SQLite file `URL` (a path or sqlite:PATH) or postgres://… (default $BENCHCTL_HISTORY, else " + history.DefaultURL + ")"

func openHistory(url string) (history.Store, error) {
	s, err := history.Open(context.Background(), url)
	if errors.Is(err, history.ErrNewerSchema) {
		return nil, usageError("%v", err)
	}
	if err != nil {
		return nil, envError(err)
	}
	return s, nil
}

func newHistoryImportCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "record results files in the history store, each once",
		Long:  "Usage: benchctl history import [--db URL] FILE|DIR...\n\nRecords results files, and the results files in folders, in the history store, each once (keyed by its content's SHA-256).",
		RunE:  func(cmd *cobra.Command, args []string) error { return historyImport(db, args) },
	}
	cmd.Flags().StringVar(&db, "db", historyDB(), historyDBHelp)
	return cmd
}

func historyImport(db string, pos []string) error {
	if len(pos) == 0 {
		return usageError("history import takes results files or folders of them")
	}
	s, err := openHistory(db)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := history.Import(context.Background(), s, pos, func(err error) { fmt.Fprintf(os.Stderr, "benchctl: %v\n", err) })
	fmt.Printf("%d results files read: %d recorded, %d already there, %d failed\n", st.Read, st.Added, st.Known, st.Failed)
	if err != nil {
		return err
	}
	if st.Failed > 0 {
		return usageError("%d of the files could not be imported", st.Failed)
	}
	return nil
}

// readSeries reads the points of q, or with relative set, those of
// q.Variant against the variant relative (history.Relative).
func readSeries(s history.Store, q history.Query, relative string) ([]history.Point, error) {
	if relative == "" {
		points, err := s.Points(context.Background(), q)
		if err != nil {
			return nil, envError(err)
		}
		return points, nil
	}
	variant := q.Variant
	q.Variant = ""
	points, err := s.Points(context.Background(), q)
	if err != nil {
		return nil, envError(err)
	}
	return history.Relative(points, variant, relative), nil
}

// detectorFlags are the change-point detector's flags of show and check.
func detectorFlags(fs *pflag.FlagSet) *changepoint.Options {
	o := &changepoint.Options{}
	fs.Float64Var(&o.Alpha, "alpha", changepoint.DefaultAlpha, "significance level of the permutation test")
	fs.IntVar(&o.Permutations, "permutations", changepoint.DefaultPermutations, "permutations per test")
	fs.IntVar(&o.MinSize, "min-runs", changepoint.DefaultMinSize, "fewest runs between two change points")
	return o
}

// parseSince reads --since: a date (2006-01-02 or RFC 3339), or a build
// (a commit prefix or a version), whose first run in points it returns.
func parseSince(s string, points []history.Point) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, p := range points {
		if b := p.Run.Build; (b.Commit != "" && strings.HasPrefix(b.Commit, s)) || b.Version == s {
			return p.Run.Started, nil
		}
	}
	return time.Time{}, usageError("--since %q is neither a date (2006-01-02) nor a recorded build", s)
}

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

// runHistory is the store `run --history URL` records its results file
// in; nil records nothing.
type runHistory struct{ s history.Store }

// openRunHistory opens the store of run --history before anything is
// measured, so that a wrong URL fails now, not after the run.
func openRunHistory(url string) (*runHistory, error) {
	if url == "" {
		return nil, nil
	}
	s, err := openHistory(url)
	if err != nil {
		return nil, err
	}
	return &runHistory{s}, nil
}

func (h *runHistory) Close() {
	if h != nil {
		h.s.Close()
	}
}

// record imports the results file at path.
func (h *runHistory) record(path string) error {
	if h == nil {
		return nil
	}
	f, err := history.ReadFile(path)
	if err == nil {
		_, err = h.s.Add(context.Background(), f)
	}
	if err != nil {
		return envError(fmt.Errorf("recording in history (the results file is written; benchctl history import %s records it later): %w", path, err))
	}
	fmt.Fprintln(os.Stderr, "results recorded in history")
	return nil
}
