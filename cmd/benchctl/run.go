package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/benchctl/benchctl/bench"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/page"
)

func init() {
	commands["run"] = command{summary: "run a scenario and write a results file (needs root)", run: runCmd}
}

// scenarioFlags are the flags run and validate share.
type scenarioFlags struct {
	repetitions int
	warmup      optionalInt
	only        stringList
	sets        stringList
}

func (f *scenarioFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.repetitions, "repetitions", 0, fmt.Sprintf("`N` measured rounds, at most %d (default: the scenario's repetitions)", scenario.MaxRepetitions))
	fs.Var(&f.warmup, "warmup", fmt.Sprintf("`N` warm-up rounds before the measured ones, at most %d (default: the scenario's warmup)", scenario.MaxWarmup))
	fs.Var(&f.only, "only", "run only the variants matching `VARIANT` (a name or a pattern such as 'big/*'; repeat or separate with commas); the baselines stay")
	fs.Var(&f.sets, "set", "give ${NAME} in the scenario the value VALUE, as `NAME=VALUE` (repeatable; the environment is used for names not set)")
}

// vars returns the --set values by name.
func (f *scenarioFlags) vars() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range f.sets {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, usageError("--set takes NAME=VALUE, got %q", kv)
		}
		out[name] = value
	}
	return out, nil
}

// load parses the scenario with the --set values and applies the overrides.
func (f *scenarioFlags) load(path string) (*scenario.Scenario, error) {
	vars, err := f.vars()
	if err != nil {
		return nil, err
	}
	sc, err := loadScenario(path, vars)
	if err != nil {
		return nil, err
	}
	if err := f.apply(sc); err != nil {
		return nil, err
	}
	return sc, nil
}

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

// apply sets the overrides on sc.
func (f *scenarioFlags) apply(sc *scenario.Scenario) error {
	if f.repetitions < 0 || f.repetitions > scenario.MaxRepetitions {
		return usageError("--repetitions must be from 1 to %d", scenario.MaxRepetitions)
	}
	if f.repetitions > 0 {
		sc.Repetitions = f.repetitions
		sc.Auto = nil // a fixed number of rounds
	}
	if f.warmup.set && (f.warmup.n < 0 || f.warmup.n > scenario.MaxWarmup) {
		return usageError("--warmup must be from 0 to %d", scenario.MaxWarmup)
	}
	if f.warmup.set {
		sc.Warmup = f.warmup.n
	}
	return nil
}

// optionalInt is an int flag that knows whether it was given. Its help
// says what it defaults to in words, and flag prints no "(default …)"
// after it.
type optionalInt struct {
	n   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optionalInt) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("not a whole number")
	}
	o.n, o.set = n, true
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// parseInterspersed parses flags that may come before, between and after
// the positional arguments, and returns the positional ones. Everything
// after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "--":
			return append(pos, args[1:]...), nil
		case strings.HasPrefix(a, "-") && a != "-":
			if err := fs.Parse(args); err != nil {
				return nil, err
			}
			rest := fs.Args()
			if used := args[:len(args)-len(rest)]; used[len(used)-1] == "--" {
				return append(pos, rest...), nil // flag.Parse swallowed the "--"
			}
			args = rest
		default:
			pos = append(pos, a)
			args = args[1:]
		}
	}
	return pos, nil
}

// parseCommandLine parses a subcommand's arguments, mapping -h to a clean
// exit and flag errors to exit code 2.
func parseCommandLine(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(os.Stderr)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, flag.ErrHelp
	}
	if err != nil {
		return nil, usageError("%w", errSilent) // flag already printed it
	}
	return pos, nil
}

// loadScenario parses a scenario file; a bad one prints every problem as
// "file:line: message (hint: ...)" and exits 2.
func loadScenario(path string, vars map[string]string) (*scenario.Scenario, error) {
	sc, err := scenario.ParseWith(path, scenario.ParseOptions{Vars: vars})
	if err == nil {
		return sc, nil
	}
	var se *scenario.Error
	if errors.As(err, &se) {
		fmt.Fprintln(os.Stderr, err)
		return nil, usageError("%w", errSilent)
	}
	return nil, usageError("%v", err)
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var sf scenarioFlags
	sf.register(fs)
	out := fs.String("o", "", "write the results to `FILE` (default results/<scenario>-<timestamp>.json)")
	seed := fs.Int64("seed", 0, "seed of the shuffles of the variants in each round (default: from the clock)")
	var nf noiseFlags
	nf.register(fs)
	force := fs.Bool("force", false, "replace the results file at -o, and the report and charts beside it, when they exist (a run that ends before its first run leaves them as they were)")
	histURL := fs.String("history", "", "also record the results file in the history store at `URL` (an SQLite file or postgres://…; see benchctl history)")
	strict := fs.Bool("strict", false, "refuse to measure while BPF programs that are not the run's own are attached to the syscall tracepoints (exit 3); without it they are recorded and warned about")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: benchctl run SCENARIO.yaml [-o results.json] [--force] [--repetitions N] [--warmup N] [--only VARIANT ...] [--seed N] [--set NAME=VALUE ...] [--strict]")
		fmt.Fprintln(fs.Output(), "\nRuns every variant of the scenario once per round, in a shuffled order, and writes a results file.")
		fs.PrintDefaults()
	}
	pos, err := parseCommandLine(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	noise, err := nf.thresholds(nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return usageError("run takes one scenario file, got %d arguments", len(pos))
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		*seed = time.Now().UnixNano()
	}

	sc, err := sf.load(pos[0])
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join("results", fmt.Sprintf("%s-%s.json", sc.Name, time.Now().Format("20060102-150405")))
	}
	if err := checkRunOutput(path, pos[0], *force); err != nil {
		return err
	}
	hist, err := openRunHistory(*histURL)
	if err != nil {
		return err
	}
	defer hist.Close()

	if noise, err = nf.thresholds(sc.Noise); err != nil {
		return err
	}
	setValues, err := sf.vars()
	if err != nil {
		return err
	}
	progress := bench.NewProgress(os.Stderr, term.IsTerminal(int(os.Stderr.Fd())))
	runner, err := bench.NewRunner(sc, bench.RunOptions{
		Only:     sf.only,
		Seed:     *seed,
		Version:  Version,
		Commit:   commit(),
		Output:   path,
		Observer: progress,
		Set:      setValues,
		Strict:   *strict,
		Noise:    &noise,
	})
	if err != nil {
		return usageError("%v", err)
	}
	if missing := missingTracers(sc, runner.Variants()); len(missing) > 0 {
		return envError(fmt.Errorf("%s (install it, or point the scenario at it with --set or the environment)", strings.Join(missing, "; ")))
	}
	if err := tracersNeedCgroup2(runner.Variants(), probes.Cgroup2Mount); err != nil {
		return err
	}
	removeStaleCgroups(os.Stderr)

	// The first Ctrl-C (or SIGTERM) cancels ctx: the runner stops the
	// workload, detaches the probes and writes what it has. A second one
	// closes everything still open at once and exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
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

	fmt.Fprintf(os.Stderr, "scenario %s: %s; seed %d; results in %s\n", sc.Name, runner.Redact(sc.Workload.Describe()), *seed, path)
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
		count := func(v float64) string { return si(v) }
		tput := func(v float64) string { return si(v) + " " + vs.Unit }
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

func si(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
