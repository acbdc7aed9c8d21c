package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/bench/changepoint"
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
