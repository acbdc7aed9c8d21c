package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/multifile"
)

// matrixFlags are matrix's flags.
type matrixFlags struct {
	kernels                             stringList
	accel, memory, self, output, format string
	timeout                             time.Duration
	render                              bool
	jobs                                int
}

func newMatrixCmd() *cobra.Command {
	var f matrixFlags
	cmd := &cobra.Command{
		Use:   "matrix SCENARIO [-- RUN FLAGS...]",
		Short: "run one scenario on several kernels (the host and QEMU guests) and report which tracer loads where",
		Long:  matrixHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			pos, runArgs := args, []string(nil)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				pos, runArgs = args[:dash], args[dash:]
			}
			return f.run(pos, runArgs)
		},
	}
	fs := cmd.Flags()
	fs.Var(&f.kernels, "kernel", "a kernel to run on: host, or a kernel image for a QEMU guest (repeatable, in column order; default host)")
	fs.StringVar(&f.accel, "accel", "auto", "the guests' accelerator: auto, kvm or tcg")
	fs.StringVar(&f.memory, "memory", "3G", "guest memory, as QEMU's -m (external tracers with large libraries need room)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Hour, "kill a guest after this long")
	fs.StringVar(&f.self, "benchctl", "", "the statically linked benchctl the guests run (default: this one)")
	fs.StringVarP(&f.output, "output", "o", "results/matrix", "write the results files and matrix.md to `DIR`")
	fs.StringVar(&f.format, "format", reports.FormatText, "with --render: markdown or text, on standard output")
	fs.BoolVar(&f.render, "render", false, "run nothing: render the matrix of the results FILES given (one column each, named after the file)")
	fs.IntVar(&f.jobs, "jobs", 1, "run up to `N` guests at a time (after the host, which runs alone); each needs --memory")
	return cmd
}

const matrixHelp = `Usage: benchctl matrix [--kernel host|PATH ...] [--accel auto|kvm|tcg] [--jobs 1] [--memory 3G] [--timeout 2h] [--benchctl FILE] [-o DIR] SCENARIO [-- RUN FLAGS...]
       benchctl matrix --render [--format markdown|text] A.json B.json ...

Runs SCENARIO with 'benchctl run' on each kernel in turn: "host" (this
machine) or a kernel image booted in a QEMU guest ('benchctl vm'), writing
DIR/<kernel>.json. The external tracers the scenario names go into the
guests at their host paths with their shared libraries. Then it writes one
report, DIR/matrix.md (and the same as text on standard output): per
variant × kernel, loads (the largest program's verified instructions) or
refused (why), the headline overhead (TCG guests: not timings), and the
largest programs' verified instructions. A kernel whose run fails is a
column saying so; the others go on. RUN FLAGS go to every 'benchctl run'
(e.g. -- --repetitions 2 --only 'getpid/*'). The guests need a statically
linked benchctl (CGO_ENABLED=0 go build, or --benchctl). DIR must be inside
the current folder: guests bring their files back into it.
Exit codes: 0 every kernel produced results; 1 some did not; 2 bad usage;
3 the host cannot run the scenario.`

func (f *matrixFlags) run(pos, runArgs []string) error {
	if f.render {
		return renderMatrix(pos, f.format)
	}
	if len(pos) != 1 {
		return usageError("matrix takes one scenario file, got %s", argCount(len(pos)))
	}
	m, err := f.plan(pos[0], runArgs)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cols, err := m.runAll(ctx)
	if err != nil {
		return err
	}
	return m.write(cols)
}

// matrixRun is one matrix to make: a scenario, its kernels, and where
// the results go.
type matrixRun struct {
	*matrixFlags
	scenario string
	kernels  []string
	runArgs  []string
	cwd, dir string
	exe      string
	programs []string // the external tracers the guests need
}

// plan checks the command line (exit 2 for bad usage) before anything
// runs, and makes the results folder.
func (f *matrixFlags) plan(scenario string, runArgs []string) (*matrixRun, error) {
	m := &matrixRun{matrixFlags: f, scenario: scenario, kernels: f.kernels, runArgs: runArgs, exe: f.self}
	if len(m.kernels) == 0 {
		m.kernels = stringList{"host"}
	}
	var err error
	if m.cwd, err = os.Getwd(); err != nil {
		return nil, err
	}
	if m.dir, err = filepath.Abs(f.output); err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(m.cwd, m.dir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, usageError("matrix: -o %s is outside the current folder: guests bring their results back only into it", f.output)
	}
	sc, err := loadScenario(scenario, nil)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, k := range m.kernels {
		name, err := kernelName(k)
		if err != nil {
			return nil, usageError("matrix: --kernel %s: %v", k, err)
		}
		if prev, dup := names[name]; dup {
			return nil, usageError("matrix: kernels %s and %s have the same name %s", prev, k, name)
		}
		names[name] = k
	}
	for _, t := range sc.Tracers {
		if t.Missing != "" || len(t.Argv) == 0 {
			continue // run reports it
		}
		if p, err := resolveProgram(t.Argv[0]); err == nil && !slices.Contains(m.programs, p) {
			m.programs = append(m.programs, p)
		}
	}
	if m.exe == "" {
		if m.exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return nil, err
	}
	return m, nil
}

// runAll runs the scenario on every kernel and returns their columns.
// The host runs first and alone (its timings are timings); then the
// guests, --jobs at a time: under TCG their timings mean nothing, so
// running them side by side costs nothing but memory.
func (m *matrixRun) runAll(ctx context.Context) ([]multifile.MatrixColumn, error) {
	cols := make([]multifile.MatrixColumn, len(m.kernels))
	var guests []int
	for i, k := range m.kernels {
		if k != "host" {
			guests = append(guests, i)
			continue
		}
		if code := m.one(ctx, i, cols); code == exitEnv && ctx.Err() == nil {
			return nil, envError(fmt.Errorf("matrix: the host cannot run %s (see above)", m.scenario))
		}
		if ctx.Err() != nil {
			return nil, failedError(errors.New("matrix: interrupted"))
		}
	}
	sem := make(chan struct{}, max(m.jobs, 1))
	var wg sync.WaitGroup
	for _, i := range guests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() == nil {
				m.one(ctx, i, cols)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, failedError(errors.New("matrix: interrupted"))
	}
	return cols, nil
}

// one runs the scenario on kernel i, sets its column in cols, and
// returns the exit status of the benchctl it ran.
func (m *matrixRun) one(ctx context.Context, i int, cols []multifile.MatrixColumn) int {
	k := m.kernels[i]
	name, _ := kernelName(k)
	file := filepath.Join(m.dir, name+".json")
	relFile, _ := filepath.Rel(m.cwd, file)
	argv := append([]string{"run", m.scenario, "-o", relFile}, m.runArgs...)
	if k != "host" {
		vm := []string{"vm", "--kernel", k, "--accel", m.accel, "--memory", m.memory, "--timeout", m.timeout.String(), "--benchctl", m.exe, "-q"}
		for _, p := range m.programs {
			vm = append(vm, "--program", p)
		}
		argv = append(append(vm, "--"), argv...)
	}
	os.Remove(file)
	fmt.Fprintf(os.Stderr, "matrix: %s: benchctl %s\n", name, strings.Join(argv, " "))
	start := time.Now()
	code, err := runChild(ctx, m.exe, argv)
	fmt.Fprintf(os.Stderr, "matrix: %s: exit %d after %s\n", name, code, time.Since(start).Round(time.Second))
	col := multifile.MatrixColumn{Name: name}
	r, rerr := results.ReadResults(file)
	switch {
	case rerr == nil:
		col.Results = r
	case err != nil:
		col.Missing = err.Error()
	default:
		col.Missing = fmt.Sprintf("exit status %d, no results file (%v)", code, rerr)
	}
	cols[i] = col
	return code
}

// write writes the matrix of cols to DIR/matrix.md and, as text, to
// standard output; a kernel without results is exit 1.
func (m *matrixRun) write(cols []multifile.MatrixColumn) error {
	failed := 0
	for i := range cols {
		if cols[i].Results == nil {
			failed++
			if cols[i].Name == "" {
				cols[i].Name, _ = kernelName(m.kernels[i])
			}
		}
	}
	var md, txt bytes.Buffer
	if err := multifile.Matrix(&md, cols, reports.FormatMarkdown); err != nil {
		return err
	}
	if err := multifile.Matrix(&txt, cols, reports.FormatText); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(m.dir, "matrix.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	os.Stdout.Write(txt.Bytes())
	fmt.Fprintf(os.Stderr, "matrix: wrote %s\n", filepath.Join(m.output, "matrix.md"))
	if failed > 0 {
		return failedError(fmt.Errorf("matrix: %d of %d kernels produced no results", failed, len(m.kernels)))
	}
	return nil
}

// kernelName names a matrix column: "host", or the release in a kernel
// image's file name (vmlinuz-6.1.0-57-cloud-amd64 → 6.1.0-57-cloud-amd64).
func kernelName(k string) (string, error) {
	if k == "host" {
		return "host", nil
	}
	real, err := filepath.EvalSymlinks(k)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(filepath.Base(real), "vmlinuz-")
	return unsafeName.ReplaceAllString(name, "_"), nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._+-]`)

// runChild runs this benchctl with argv, its output on ours, and returns
// its exit status. Ctrl-C reaches it too (same process group); on a
// cancelled ctx it gets SIGINT, then SIGKILL after 60 s.
func runChild(ctx context.Context, exe string, argv []string) (int, error) {
	cmd := exec.CommandContext(ctx, exe, argv...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 60 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// renderMatrix writes the matrix of the results files files, one column
// each, named after the file (host.json: "host").
func renderMatrix(files []string, format string) error {
	if len(files) == 0 {
		return usageError("matrix --render takes the results files of its columns")
	}
	if format != reports.FormatMarkdown && format != reports.FormatText {
		return usageError("matrix --render: format %q: want markdown or text", format)
	}
	var cols []multifile.MatrixColumn
	for _, f := range files {
		r, err := results.ReadResults(f)
		if err != nil {
			return usageError("matrix: %v", err)
		}
		cols = append(cols, multifile.MatrixColumn{Name: strings.TrimSuffix(filepath.Base(f), ".json"), Results: r})
	}
	var buf bytes.Buffer
	if err := multifile.Matrix(&buf, cols, format); err != nil {
		return err
	}
	_, err := os.Stdout.Write(buf.Bytes())
	return err
}
