package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
)

// traceFlags are trace's flags.
type traceFlags struct {
	probeFlags
	mode        string
	json, count bool
	output      string
	force       bool
	plant       uint
}

func newTraceCmd() *cobra.Command {
	var f traceFlags
	cmd := &cobra.Command{
		Use:   "trace -- CMD ARGS...",
		Short: "run a command under the probes and print its decoded events",
		Long: `Usage: benchctl trace --mode M [--toctou T] --syscalls a,b [--format json|text] [-o FILE [--force]] -- CMD ARGS...
       benchctl trace --count --mode M [--toctou T] --syscalls a,b [--plant N]

Runs CMD under the probes and prints the events of its process tree, one per line;
when CMD ends, prints program stats and counters on stderr. With --count, traces every
process of the machine until SIGINT or SIGTERM and only counts the events: a scenario
can then measure two builds of benchctl as external tracers in the same rounds.`,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	f.register(fs, probeHelp{
		syscalls:      "comma-separated syscalls to trace (required)",
		toctou:        "exit_only TOCTOU mitigation: none, stash or enter_event",
		toctouDefault: "none",
		formats:       "text or json",
	})
	fs.StringVar(&f.mode, "mode", "enter_exit", "probe mode: floor, enter_exit or exit_only")
	fs.BoolVar(&f.json, "json", false, "same as --format json")
	fs.StringVarP(&f.output, "output", "o", "", "write events to this file instead of stdout (a file that exists is refused unless --force; a pipe or device is written to)")
	fs.BoolVar(&f.force, "force", false, "replace the regular file at -o when it exists")
	fs.BoolVar(&f.count, "count", false, "run as a tracer of the whole machine: no command, no decoding; count events until SIGINT or SIGTERM, then print the stats block")
	fs.UintVar(&f.plant, "plant", 0, "a planted regression: an empty bpf_loop of `N` iterations (at most 1048576) on every traced syscall, in enter_exit and exit_only; for measuring the gate's power")
	return passesArgsOn(cmd)
}

func (f *traceFlags) run(argv []string) error {
	if f.json {
		f.format = "json"
	}
	if f.format != "json" && f.format != "text" {
		return usageError("trace: unknown format %q (valid: text, json)", f.format)
	}
	m, err := probes.ParseMode(f.mode)
	if err != nil {
		return usageError("trace: %v", err)
	}
	if m == probes.ModeNone {
		return usageError("trace: mode none attaches nothing; use floor, enter_exit or exit_only")
	}
	t, err := probes.ParseTOCTOU(f.toctou)
	if err != nil {
		return usageError("trace: %v", err)
	}
	if t != probes.TOCTOUNone && m != probes.ModeExitOnly {
		return usageError("trace: --toctou applies to --mode exit_only only")
	}
	names := splitList(f.syscalls)
	if m != probes.ModeFloor {
		if len(names) == 0 {
			return usageError("trace: --syscalls is empty; name at least one syscall, e.g. --syscalls openat,read")
		}
		if _, err := syscalls.ResolveSet(names); err != nil {
			return usageError("trace: %v", err)
		}
	}
	if f.plant > 1<<20 {
		return usageError("trace: --plant %d: at most 1048576 iterations", f.plant)
	}
	if f.plant > 0 && m == probes.ModeFloor {
		return usageError("trace: --plant needs --mode enter_exit or exit_only (floor has no dispatcher)")
	}
	cfg := probes.Config{Mode: m, TOCTOU: t, Syscalls: names, RingSize: f.ringSize, Snaplen: f.snaplen, Plant: uint32(f.plant)}
	if f.count {
		if len(argv) > 0 {
			return usageError("trace: --count traces the whole machine and takes no command")
		}
		return traceCount(cfg, os.Stderr)
	}
	if len(argv) == 0 {
		return usageError("trace: no command given; usage: benchctl trace --mode M --syscalls a,b -- CMD ARGS...")
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return usageError("trace: %v", err)
	}
	out := os.Stdout
	if f.output != "" {
		file, err := openTraceOutput(f.output, f.force)
		if err != nil {
			return err
		}
		defer file.Close()
		out = file
	}
	return trace(traceOptions{
		cfg:    cfg,
		argv:   argv,
		json:   f.format == "json",
		out:    out,
		stderr: os.Stderr,
	})
}

// openTraceOutput opens trace's -o. A regular file that exists holds
// something benchctl did not write this time: it is replaced only with
// force. A path that exists and is not a regular file (a named pipe,
// /dev/stdout, a terminal) is written to as it is, never truncated; a new
// path is created, and a file that appears meanwhile is not replaced.
func openTraceOutput(path string, force bool) (*os.File, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, usageError("trace: -o %s is a directory", path)
	case err == nil && fi.Mode().IsRegular() && !force:
		return nil, usageError("trace: -o %s exists; refusing to replace it (--force replaces it)", path)
	case err == nil && fi.Mode().IsRegular():
		file, err := os.Create(path)
		if err != nil {
			return nil, usageError("trace: %v", err)
		}
		return file, nil
	case err == nil:
		file, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, usageError("trace: %v", err)
		}
		return file, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, usageError("trace: %v", err)
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, usageError("trace: %v", err)
	}
	return file, nil
}

type traceOptions struct {
	cfg    probes.Config
	argv   []string
	json   bool
	out    io.Writer
	stderr io.Writer
}

// trace runs argv under the probes. Order matters for a clean exit on any
// path: the probes are closed by defer, so nothing stays attached whether
// the command fails, benchctl errors, or the user presses Ctrl-C (which
// is forwarded to the command, and ends the trace when the command ends).
func trace(o traceOptions) (err error) {
	// From the start: a Ctrl-C while the probes load must not kill
	// benchctl before it can unload them. One that comes before the
	// command starts is passed on to it as soon as it does.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := probes.CheckEnvironment(); err != nil {
		return envError(err)
	}
	removeStaleCgroups(o.stderr)
	cg, err := probes.NewCgroup("benchctl-trace")
	if err != nil {
		return envError(fmt.Errorf("following the command's process tree needs cgroup v2: %w", err))
	}
	defer destroyCgroup(cg, "trace", o.stderr, &err)
	o.cfg.CgroupID, o.cfg.CgroupFD = cg.ID, cg.FD()

	p, method, unload, err := loadProbes(o.cfg)
	if err != nil {
		return err
	}
	defer unload()

	w := bufio.NewWriterSize(o.out, 1<<16)
	defer w.Flush()
	bootToWall := wallOffset()
	enc := json.NewEncoder(w)
	var writeErr error
	c, err := p.StartConsumer(probes.ConsumerOptions{OnEvent: func(ev syscalls.Event) {
		if writeErr != nil {
			return
		}
		if o.json {
			writeErr = enc.Encode(eventJSON(ev, bootToWall))
		} else {
			_, writeErr = fmt.Fprintln(w, eventText(ev, bootToWall))
		}
	}})
	if err != nil {
		return err
	}
	before, err := p.Snapshot()
	if err != nil {
		c.Stop()
		return err
	}

	start := time.Now()
	runErr := runTraced(o, cg.FD(), sigs)
	elapsed := time.Since(start)
	if err := p.Detach(); err != nil {
		return err
	}
	after, err := p.Snapshot()
	if err != nil {
		return err
	}
	user, cerr := c.Stop()
	w.Flush()
	printTraceStats(o.stderr, o.cfg, method, elapsed, after.Sub(before), after.Counters, user)
	if cerr != nil {
		return cerr
	}
	if writeErr != nil {
		return fmt.Errorf("writing events: %w", writeErr)
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		return fmt.Errorf("command exited with status %d", exitErr.ExitCode())
	}
	if runErr != nil {
		return fmt.Errorf("running %s: %w", o.argv[0], runErr)
	}
	return nil
}

// runTraced runs o's command in the cgroup cgroupFD, passes on to it the
// signals sigs brings while it runs, and returns how it ended.
func runTraced(o traceOptions, cgroupFD int, sigs <-chan os.Signal) error {
	cmd := exec.Command(o.argv[0], o.argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
	if o.out != os.Stdout {
		cmd.Stdout = os.Stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cgroupFD, Pdeathsig: syscall.SIGKILL}
	runErr := cmd.Start()
	if runErr == nil {
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
	wait:
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case runErr = <-waited:
				break wait
			}
		}
	}
	return runErr
}

// loadProbes turns the kernel's BPF stats on and loads and attaches
// cfg's probes; unload closes the probes, then turns the stats back
// off. No privileges or no BTF is exit 3. method says how the stats
// were turned on.
func loadProbes(cfg probes.Config) (p *probes.Probes, method string, unload func(), err error) {
	statsOff, method, err := probes.EnableStats()
	if err != nil {
		return nil, "", nil, envError(err)
	}
	p, err = probes.Load(cfg)
	if err != nil {
		statsOff.Close()
		if environmental(err) {
			return nil, "", nil, envError(err)
		}
		return nil, "", nil, fmt.Errorf("loading probes: %+v", err)
	}
	return p, method, func() {
		p.Close()
		statsOff.Close()
	}, nil
}

// destroyCgroup kills what the command left in its cgroup (a daemon, or
// children of an interrupted command), says so on w, and removes the
// cgroup and any below it; a failure becomes *err when there is none yet.
func destroyCgroup(cg *probes.Cgroup, cmd string, w io.Writer, err *error) {
	left, derr := cg.Destroy(5 * time.Second)
	if left > 0 {
		s := "es"
		if left == 1 {
			s = ""
		}
		fmt.Fprintf(w, "benchctl %s: killed %d process%s the command left behind in %s\n", cmd, left, s, cg.Path)
	}
	if derr != nil {
		fmt.Fprintf(w, "benchctl %s: %v\n", cmd, derr)
		if *err == nil {
			*err = derr
		}
	}
}

// traceCount loads the probes for the whole machine, counts what the
// consumer drains until SIGINT or SIGTERM, and prints the stats block:
// benchctl's own probes as an external tracer. It says "ready" on w once
// the probes are attached and the signal handler is in place.
func traceCount(cfg probes.Config, w io.Writer) error {
	if err := probes.CheckEnvironment(); err != nil {
		return envError(err)
	}
	// No removeStaleCgroups: --count makes no cgroup, and runs as a
	// scenario's tracer, whose run has removed them before it started.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	p, method, unload, err := loadProbes(cfg)
	if err != nil {
		return err
	}
	defer unload()
	c, err := p.StartConsumer(probes.ConsumerOptions{})
	if err != nil {
		return err
	}
	before, err := p.Snapshot()
	if err != nil {
		c.Stop()
		return err
	}
	start := time.Now()
	fmt.Fprintf(w, "benchctl trace: ready, counting %s events until SIGINT\n", cfg.Mode)
	<-sigs
	elapsed := time.Since(start)
	if err := p.Detach(); err != nil {
		c.Stop()
		return err
	}
	after, err := p.Snapshot()
	if err != nil {
		c.Stop()
		return err
	}
	user, err := c.Stop()
	printTraceStats(w, cfg, method, elapsed, after.Sub(before), after.Counters, user)
	return err
}

// wallOffset returns what to add to a bpf_ktime_get_ns timestamp
// (CLOCK_MONOTONIC) to get Unix nanoseconds.
func wallOffset() int64 {
	var mono unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	return time.Now().UnixNano() - mono.Nano()
}

type jsonEvent struct {
	Ts      int64          `json:"ts"`
	Tid     uint32         `json:"tid"`
	Pid     uint32         `json:"pid"`
	Syscall string         `json:"syscall"`
	Dir     string         `json:"dir"`
	Params  map[string]any `json:"params"`
}

func eventJSON(ev syscalls.Event, off int64) jsonEvent {
	params := make(map[string]any, len(ev.Params))
	for _, v := range ev.Params {
		params[v.Name] = v.JSON()
	}
	return jsonEvent{Ts: int64(ev.Ts) + off, Tid: ev.Tid, Pid: ev.Pid, Syscall: ev.Syscall, Dir: ev.Dir, Params: params}
}

func eventText(ev syscalls.Event, off int64) string {
	var b strings.Builder
	ts := time.Unix(0, int64(ev.Ts)+off)
	arrow := ">"
	if ev.Dir == "exit" {
		arrow = "<"
	}
	fmt.Fprintf(&b, "%s %d/%d %s %s", ts.Format("15:04:05.000000000"), ev.Pid, ev.Tid, arrow, ev.Syscall)
	for _, v := range ev.Params {
		fmt.Fprintf(&b, " %s=%s", v.Name, v.Format())
	}
	return b.String()
}

func printTraceStats(w io.Writer, cfg probes.Config, method string, elapsed time.Duration, delta probes.Snapshot, k probes.Counters, u probes.ConsumerStats) {
	fmt.Fprintf(w, "\n---------------------------- STATS ----------------------------\n")
	fmt.Fprintf(w, "mode %s", cfg.Mode)
	if cfg.Mode == probes.ModeExitOnly {
		fmt.Fprintf(w, " (toctou %s)", cfg.TOCTOU)
	}
	fmt.Fprintf(w, ", %d syscall(s) traced, elapsed %.3f s, stats via %s\n", len(cfg.Syscalls), elapsed.Seconds(), method)
	fmt.Fprintf(w, "\nprograms (whole machine while it traced):\n")
	fmt.Fprintf(w, "  %-18s %14s %16s %10s\n", "program", "run_cnt", "run_time_ns", "avg_ns")
	var totCnt, totNs uint64
	for _, ps := range delta.Programs {
		fmt.Fprintf(w, "  %-18s %14d %16d %10.1f\n", ps.Name, ps.RunCount, ps.RunTimeNs, ps.AvgNs())
		totCnt += ps.RunCount
		totNs += ps.RunTimeNs
	}
	avg := 0.0
	if totCnt > 0 {
		avg = float64(totNs) / float64(totCnt)
	}
	fmt.Fprintf(w, "  %-18s %14d %16d %10.1f\n", "total", totCnt, totNs, avg)
	fmt.Fprintf(w, "\nkernel counters (since attach):\n")
	fmt.Fprintf(w, "  events attempted   %d\n  drops (full)       %d\n  drops (too large)  %d\n", k.Attempted, k.DropsFull, k.DropsTooLarge)
	fmt.Fprintf(w, "  32-bit syscalls    %d (not traced)\n", k.Ia32Skipped)
	printPathReads(w, k.PathReads)
	fmt.Fprintf(w, "\nuserspace (events received: the command's process tree, or with --count the whole machine):\n")
	fmt.Fprintf(w, "  events received    %d\n  bytes received     %d\n", u.Events, u.Bytes)
	if u.Events > 0 {
		fmt.Fprintf(w, "  avg event size     %.1f bytes\n", float64(u.Bytes)/float64(u.Events))
	}
	if u.BadRecords > 0 {
		fmt.Fprintf(w, "  malformed records  %d\n", u.BadRecords)
	}
	if u.Decoded > 0 {
		fmt.Fprintf(w, "  late events        %d (delivered out of timestamp order: stamped before an event already delivered)\n", u.Late)
	} else {
		fmt.Fprintf(w, "  late events        not measured (events counted, not ordered)\n")
	}
	fmt.Fprintf(w, "  consumer CPU       %.3f s\n", u.CPUSeconds)
	keys := make([]string, 0, len(u.PerType))
	for k := range u.PerType {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if u.PerType[keys[i]] != u.PerType[keys[j]] {
			return u.PerType[keys[i]] > u.PerType[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  - [%s]: %d\n", k, u.PerType[k])
	}
	fmt.Fprintf(w, "---------------------------------------------------------------\n")
}

// printPathReads prints what became of the paths read from user memory,
// per syscall and side: a failed read sends the path empty.
func printPathReads(w io.Writer, pr map[string]probes.PathReads) {
	if len(pr) == 0 {
		return
	}
	fmt.Fprintf(w, "\npath reads (a failed read sends the path empty; at sys_enter its page may not be resident yet):\n")
	fmt.Fprintf(w, "  %-20s %10s %10s %10s %10s\n", "syscall", "reads", "failed", "empty", "at_limit")
	keys := make([]string, 0, len(pr))
	for k := range pr {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := pr[k]
		fmt.Fprintf(w, "  %-20s %10d %10d %10d %10d\n", k, r.Reads, r.Failed, r.Empty, r.AtLimit)
	}
}
