package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/internal/shell"
	"github.com/benchctl/benchctl/record"
)

const (
	commandOutputBytes   = 1 << 20 // output kept for the throughput regex
	commandStderrBytes   = 64 << 10
	commandErrorLines    = 10
	commandStopTimeout   = 5 * time.Second
	defaultCommandUnit   = "ops/s"
	commandRunsUnit      = "runs/s"
	throughputValueGroup = "value"
)

// commandWorkload is the "command" workload.
type commandWorkload struct {
	cfg  CommandConfig
	path string   // resolved program
	args []string // argv as the program sees it
	re   *regexp.Regexp

	mu      sync.Mutex
	closed  bool
	running *child
	cg      *Cgroup // the command's; nil without cgroup v2 (or before Prepare)
}

// NewCommand returns a workload that runs cfg.Argv once per Run, without
// a shell unless cfg.Shell is set, in cfg.Dir, with cfg.Env added to
// benchctl's environment.
//
// With Shell, Argv[0] is the script given to "sh -c"; further elements
// become its positional parameters $1, $2, ... ($0 is "sh").
//
// The program is looked up now: a missing one gives an error wrapping
// [ErrMissingBinary]. ThroughputRegex, when set, must compile and have a
// named group "value".
func NewCommand(cfg CommandConfig) (Workload, error) {
	if len(cfg.Argv) == 0 || cfg.Argv[0] == "" {
		return nil, errors.New("validating command config: argv is empty")
	}
	w := &commandWorkload{cfg: cfg}
	if cfg.ThroughputRegex != "" {
		re, err := regexp.Compile(cfg.ThroughputRegex)
		if err != nil {
			return nil, fmt.Errorf("validating command config: compiling throughput regex: %w", err)
		}
		if re.SubexpIndex(throughputValueGroup) < 0 {
			return nil, fmt.Errorf("validating command config: throughput regex %q has no named group (?P<%s>...)",
				cfg.ThroughputRegex, throughputValueGroup)
		}
		w.re = re
	}
	if cfg.Dir != "" {
		if st, err := os.Stat(cfg.Dir); err != nil {
			return nil, fmt.Errorf("validating command config: %w", err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("validating command config: %s is not a directory", cfg.Dir)
		}
	}
	for _, kv := range cfg.Env {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("validating command config: environment entry %q is not NAME=value", kv)
		}
	}

	if cfg.Shell {
		sh, err := exec.LookPath("sh")
		if err != nil {
			return nil, fmt.Errorf("finding sh: %w (%v)", ErrMissingBinary, err)
		}
		w.path = sh
		w.args = append([]string{"sh", "-c", cfg.Argv[0], "sh"}, cfg.Argv[1:]...)
		return w, nil
	}
	prog := cfg.Argv[0]
	lookup := prog
	if strings.Contains(prog, "/") && !filepath.IsAbs(prog) && cfg.Dir != "" {
		lookup = filepath.Join(cfg.Dir, prog) // exec runs it relative to Dir
	}
	resolved, err := exec.LookPath(lookup)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w (%v)", prog, ErrMissingBinary, err)
	}
	if lookup != prog {
		resolved = prog
	}
	w.path = resolved
	w.args = append([]string(nil), cfg.Argv...)
	return w, nil
}

func (w *commandWorkload) Name() string { return "command" }

// Describe returns the command line, each argument quoted for sh where
// it needs it, so that it can be pasted into a shell as it is.
func (w *commandWorkload) Describe() string { return shell.Join(w.args) }

// Prepare makes the cgroup v2 the command runs in, where there can be
// one: without it the command runs all the same, and its CPU time is not
// measured.
func (w *commandWorkload) Prepare(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("preparing command: workload is closed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.cg == nil {
		w.cg, _ = newCgroup()
	}
	return nil
}

// Cgroup is the cgroup the command runs in, nil when there is none.
func (w *commandWorkload) Cgroup() *Cgroup {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cg
}

// Run runs the command once and records its wall time, from start to the
// exit of the process.
//
// With ThroughputRegex, Throughput is the "value" group of the last match
// in the command's output (stdout and stderr together, in the order they
// arrived; only the last MiB is kept), in Unit ("ops/s" when Unit is
// empty); thousands separators (",", "_") are ignored, and no match is an
// error. Without it, Throughput is 1 / wall seconds in "runs/s" and Ops
// is 1.
//
// A non-zero exit is an error that ends with the last lines of stderr.
// Cancelling ctx kills the command's whole process group.
func (w *commandWorkload) Run(ctx context.Context) (Result, error) {
	combined := newTailBuffer(commandOutputBytes)
	stderr := newTailBuffer(commandStderrBytes)
	cmd := &exec.Cmd{
		Path:   w.path,
		Args:   w.args,
		Dir:    w.cfg.Dir,
		Stdout: combined,
		Stderr: io.MultiWriter(combined, stderr),
	}
	if len(w.cfg.Env) > 0 {
		cmd.Env = append(os.Environ(), w.cfg.Env...)
	}

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return Result{}, errors.New("running command: workload is closed")
	}
	if w.running != nil {
		w.mu.Unlock()
		return Result{}, errors.New("running command: a run is already in progress")
	}
	cg := w.cg
	cg.put(cmd)
	cpu0, cpuErr := cg.cpu()
	start := time.Now()
	c, err := startChild(cmd)
	if err != nil {
		w.mu.Unlock()
		return Result{}, fmt.Errorf("starting %s: %w", w.args[0], err)
	}
	w.running = c
	w.mu.Unlock()

	err = c.wait(ctx)
	wall := c.exited.Sub(start)
	cg.addReaped(c)
	cpu1, cpuErr1 := cg.cpu()

	w.mu.Lock()
	w.running = nil
	w.mu.Unlock()

	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("running %s: %w", w.args[0], err)
		}
		return Result{}, withOutput(fmt.Errorf("running %s: %w", w.args[0], describeExit(err)),
			stderr.lastLines(commandErrorLines))
	}

	res := Result{Wall: wall}
	if cg != nil && cpuErr == nil && cpuErr1 == nil {
		res.CPUSeconds, res.CPUMethod = max(0, cpu1-cpu0), record.WorkloadCPUCgroup
	}
	if w.re == nil {
		res.Unit = commandRunsUnit
		res.Ops = 1
		if s := wall.Seconds(); s > 0 {
			res.Throughput = 1 / s
		}
		return res, nil
	}
	v, err := lastRegexValue(w.re, combined.String())
	if err != nil {
		return Result{}, withOutput(fmt.Errorf("reading throughput of %s: %w", w.args[0], err),
			lastLines(combined.String(), commandErrorLines))
	}
	res.Throughput = v
	res.Unit = w.cfg.Unit
	if res.Unit == "" {
		res.Unit = defaultCommandUnit
	}
	return res, nil
}

// lastRegexValue returns the "value" group of the last match of re in s
// as a number; NaN and infinities are errors wrapping ErrNotFinite.
func lastRegexValue(re *regexp.Regexp, s string) (float64, error) {
	matches := re.FindAllStringSubmatch(s, -1)
	if len(matches) == 0 {
		return 0, fmt.Errorf("throughput regex %q matched nothing in the output", re.String())
	}
	raw := matches[len(matches)-1][re.SubexpIndex(throughputValueGroup)]
	clean := strings.NewReplacer(",", "", "_", "").Replace(strings.TrimSpace(raw))
	v, err := ParseFinite(clean)
	if errors.Is(err, ErrNotFinite) {
		return 0, fmt.Errorf("throughput %q: %w", raw, ErrNotFinite)
	}
	if err != nil {
		return 0, fmt.Errorf("throughput %q is not a number", raw)
	}
	return v, nil
}

// Close kills the command's process group if a Run is in flight. It is
// idempotent.
func (w *commandWorkload) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	var errs []error
	if w.running != nil {
		if err := w.running.stop(commandStopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", w.args[0], err))
		}
	}
	// Whatever the command left running (a daemon) dies with its cgroup.
	if err := w.cg.close(); err != nil {
		errs = append(errs, fmt.Errorf("removing the command's cgroup: %w", err))
	}
	w.cg = nil
	return errors.Join(errs...)
}
