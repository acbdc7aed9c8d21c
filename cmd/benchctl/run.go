package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/benchctl/benchctl/bench"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/page"
)

// missingTracers names the tracers of vs whose program is not here.
func missingTracers(sc *scenario.Scenario, vs []results.Variant) []string {
	used := map[string]bool{}
	for _, v := range vs {
		used[v.Tracer] = true
	}
	var out []string
	for _, t := range sc.Tracers {
		if used[t.Name] && t.Missing != "" {
			out = append(out, fmt.Sprintf("tracer %s: %s", t.Name, t.Missing))
		}
	}
	return out
}

// runFlags are run's flags.
type runFlags struct {
	scenario      scenarioFlags
	noise         noiseFlags
	output        string
	seed          int64
	force, strict bool
	history       string
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml",
		Short: "run a scenario and write a results file (needs root)",
		Long: "Usage: benchctl run SCENARIO.yaml [-o results.json] [--force] [--repetitions N] [--warmup N] [--only VARIANT ...] [--seed N] [--set NAME=VALUE ...] [--strict]\n\n" +
			"Runs every variant of the scenario once per round, in a shuffled order, and writes a results file.",
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	fs := cmd.Flags()
	f.scenario.register(fs)
	fs.StringVarP(&f.output, "output", "o", "", "write the results to `FILE` (default results/<scenario>-<timestamp>.json)")
	fs.Int64Var(&f.seed, "seed", 0, "seed of the shuffles of the variants in each round (default: from the clock)")
	f.noise.register(fs)
	fs.BoolVar(&f.force, "force", false, "replace the results file at -o, and the report and charts beside it, when they exist (a run that ends before its first run leaves them as they were)")
	fs.StringVar(&f.history, "history", "", "also record the results file in the history store at `URL` (an SQLite file or postgres://…; see benchctl history)")
	fs.BoolVar(&f.strict, "strict", false, "refuse to measure while BPF programs that are not the run's own are attached to the syscall tracepoints (exit 3); without it they are recorded and warned about")
	return cmd
}

func (f *runFlags) run(cmd *cobra.Command, pos []string) error {
	noise, err := f.noise.thresholds(nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		cmd.Usage()
		return usageError("run takes one scenario file, got %d arguments", len(pos))
	}
	seed := f.seed
	if !cmd.Flags().Changed("seed") {
		seed = time.Now().UnixNano()
	}

	sc, err := f.scenario.load(pos[0])
	if err != nil {
		return err
	}
	path := f.output
	if path == "" {
		path = filepath.Join("results", fmt.Sprintf("%s-%s.json", sc.Name, time.Now().Format("20060102-150405")))
	}
	if err := checkRunOutput(path, pos[0], f.force); err != nil {
		return err
	}
	hist, err := openRunHistory(f.history)
	if err != nil {
		return err
	}
	defer hist.Close()

	if noise, err = f.noise.thresholds(sc.Noise); err != nil {
		return err
	}
	runner, err := f.newRunner(sc, path, seed, &noise)
	if err != nil {
		return err
	}
	removeStaleCgroups(os.Stderr)

	// The first Ctrl-C (or SIGTERM) cancels ctx: the runner stops the
	// workload, detaches the probes and writes what it has.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer abortOnSecondSignal(runner, path)()

	fmt.Fprintf(os.Stderr, "scenario %s: %s; seed %d; results in %s\n", sc.Name, runner.Redact(sc.Workload.Describe()), seed, path)
	res, err := runScenario(ctx, runner, sc)
	if res != nil {
		res.SetNoiseThresholds(noise)
	}
	if res != nil && len(res.Runs) > 0 {
		printSummary(os.Stdout, res)
	}
	if res != nil && len(res.Capacity) > 0 {
		printCapacitySummary(os.Stdout, res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, savedNote(runner, path))
		switch {
		case environmental(err):
			return envError(err)
		case ctx.Err() != nil && !errors.Is(err, bench.ErrRunFailed):
			return interruptedError(err)
		}
		return err
	}

	return finishRun(res, path, hist)
}

// newRunner makes the runner of sc's run, writing path, and refuses
// before anything runs a variant whose tracer is not here (exit 3) or
// cannot have the cgroup v2 it runs in.
func (f *runFlags) newRunner(sc *scenario.Scenario, path string, seed int64, noise *results.NoiseThresholds) (*bench.Runner, error) {
	setValues, err := f.scenario.vars()
	if err != nil {
		return nil, err
	}
	progress := bench.NewProgress(os.Stderr, term.IsTerminal(int(os.Stderr.Fd())))
	runner, err := bench.NewRunner(sc, bench.RunOptions{
		Only:     f.scenario.only,
		Seed:     seed,
		Version:  Version,
		Commit:   commit(),
		Output:   path,
		Observer: progress,
		Set:      setValues,
		Strict:   f.strict,
		Noise:    noise,
	})
	if err != nil {
		return nil, usageError("%v", err)
	}
	if missing := missingTracers(sc, runner.Variants()); len(missing) > 0 {
		return nil, envError(fmt.Errorf("%s (install it, or point the scenario at it with --set or the environment)", strings.Join(missing, "; ")))
	}
	if err := tracersNeedCgroup2(runner.Variants(), probes.Cgroup2Mount); err != nil {
		return nil, err
	}
	return runner, nil
}

// abortOnSecondSignal makes a second Ctrl-C (or SIGTERM) during a run
// close everything still open at once and exit, saying what the results
// file at path holds; the first one cancels the run's context, whose
// runner then stops the workload, detaches the probes and writes what
// it has. The function it returns stops listening.
func abortOnSecondSignal(runner *bench.Runner, path string) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(os.Stderr, "\ninterrupted: stopping the workload and detaching the probes (press Ctrl-C again to abort at once)")
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(os.Stderr, "aborting: closing probes and workloads")
		runner.Abort()
		if runner.Saved() {
			fmt.Fprintf(os.Stderr, "benchctl: aborted; the last checkpoint is in %s\n", path)
		} else {
			fmt.Fprintf(os.Stderr, "benchctl: aborted before the first run ended: no results written to %s\n", path)
		}
		os.Exit(exitInterrupted)
	}()

	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// finishRun writes the report of the complete results res beside the
// results file at path, records it in hist, and fails (exit 1) when a
// variant measured nothing.
func finishRun(res *results.Results, path string, hist *runHistory) error {
	fmt.Fprintf(os.Stderr, "results written to %s\n", path)
	md, err := writeMarkdownReport(res, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report written to %s\n", md)
	if err := hist.record(path); err != nil {
		return err
	}
	if bad := unmeasured(res); len(bad) > 0 {
		// Exit 1, as for a run of benchctl's own variants that fails:
		// the measuring failed, not the input (2) nor, as far as run
		// can tell before it runs, the environment (3); and the
		// results are complete, with every failure in them.
		names := make([]string, len(bad))
		for i, b := range bad {
			names[i] = b.variant
		}
		return failedError(fmt.Errorf("%d of %d variants measured nothing: %s (see the summary and the report)", len(bad), len(res.Variants), strings.Join(names, ", ")))
	}
	return nil
}

// unmeasuredVariant is a variant of a finished run with nothing measured,
// and why.
type unmeasuredVariant struct{ variant, why string }

// unmeasured lists the variants of res with no measured run (none that
// was not a warm-up and did not fail) or, in a capacity run, no search
// that finished.
func unmeasured(res *results.Results) []unmeasuredVariant {
	var out []unmeasuredVariant
	if len(res.Capacity) > 0 {
		for _, c := range res.Capacity {
			if _, ok := c.Summary(); !ok {
				why := "no search finished"
				if c.Error != "" {
					why += "; the last error: " + firstLine(c.Error)
				}
				out = append(out, unmeasuredVariant{c.Variant, why})
			}
		}
		return out
	}
	for _, vs := range res.SummarizeVariants() {
		if vs.Runs > 0 {
			continue
		}
		why := "no measured run"
		if vs.Failed > 0 {
			why = fmt.Sprintf("all %d of its runs failed; the first: %s", vs.Failed, firstLine(vs.FirstError))
		}
		out = append(out, unmeasuredVariant{vs.Variant.Name, why})
	}
	return out
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// writeMarkdownReport writes the markdown report of res next to the
// results file (same name, .md), with its SVG charts in a folder beside it
// (same name, -charts), and returns the report's path.
func writeMarkdownReport(res *results.Results, resultsPath string) (string, error) {
	mdPath, chartDir := reportPaths(resultsPath)
	links, err := reports.WriteCharts(chartDir, res)
	if err != nil {
		return "", fmt.Errorf("writing charts: %w", err)
	}
	for name, p := range links {
		if rel, err := filepath.Rel(filepath.Dir(mdPath), p); err == nil {
			links[name] = rel
		}
	}
	var md bytes.Buffer
	if err := reports.Markdown(&md, res, reports.Options{ChartLinks: links}); err != nil {
		return "", fmt.Errorf("writing report: %w", err)
	}
	if err := atomicfile.Write(mdPath, md.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing report: %w", err)
	}
	return mdPath, nil
}

// commit is the VCS revision the binary was built from, when known.
func commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}

// printSummary prints one line per variant: medians over its measured runs.
func printSummary(w io.Writer, res *results.Results) {
	header := []string{"variant", "runs", "sys_enter avg", "sys_exit avg", "kernel time", "events", "drops", "throughput", "vs baseline"}
	right := []bool{false, true, true, true, true, true, true, true, true}
	var rows [][]string
	for _, vs := range res.SummarizeVariants() {
		cell := func(key string, format func(float64) string) string {
			m, ok := vs.Get(key)
			if !ok {
				return "-"
			}
			return format(m.Median)
		}
		ns := func(v float64) string { return fmt.Sprintf("%.1f ns", v) }
		dur := func(v float64) string { return time.Duration(v).Round(time.Millisecond).String() }
		count := numfmt.Short
		tput := func(v float64) string { return numfmt.Short(v) + " " + vs.Unit }
		pct := func(v float64) string { return fmt.Sprintf("%+.1f%%", v) }
		runs := fmt.Sprint(vs.Runs)
		if vs.Failed > 0 {
			runs += fmt.Sprintf(" (%d failed)", vs.Failed)
		}
		rows = append(rows, []string{vs.Variant.Name, runs,
			cell("enter_avg_ns", ns), cell("exit_avg_ns", ns), cell("kernel_time_ns", dur),
			cell("events", count), cell("drops", count), cell("throughput", tput), cell("throughput_change", pct)})
	}
	_ = page.WriteTextTable(w, "", header, rows, right) // like the Fprintf calls: a summary on a closed stdout is lost
	if !res.Complete {
		fmt.Fprintf(w, "\nincomplete: %s\n", res.Reason)
		return
	}
	if bad := unmeasured(res); len(bad) > 0 {
		fmt.Fprintln(w)
		for _, b := range bad {
			fmt.Fprintf(w, "measured nothing: %s: %s\n", b.variant, b.why)
		}
	}
}
