package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/fidelity"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/reports/page"
	"github.com/benchctl/benchctl/workloads"
)

// verifyFlags are verify's flags.
type verifyFlags struct {
	probeFlags
	maxEvents int
}

func newVerifyCmd() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [-- CMD ARGS...]",
		Short: "check that each merged exit event says what the enter+exit pair said",
		Long: `Usage: benchctl verify [--syscalls a,b] [--toctou none,stash,enter_event] [--format text|markdown|json] [--max-events N] [-- CMD ARGS...]

Loads enter_exit and exit_only (one per TOCTOU option) at the same time, runs the built-in
fidelity workload (every syscall with a filler of its own, with known arguments, and failing
calls) or CMD, pairs each thread's calls in order and compares every merged exit event with
its enter and exit events, parameter by parameter. Exits 1 on any mismatch.`,
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	f.register(fs, probeHelp{
		syscalls:      "comma-separated syscalls to check (default: every syscall of the built-in fidelity workload)",
		toctou:        "comma-separated exit_only TOCTOU options to check",
		toctouDefault: "none,stash,enter_event",
		formats:       "text, markdown or json",
	})
	fs.IntVar(&f.maxEvents, "max-events", fidelity.DefaultFidelityMaxEvents, "events held per probe set; the calls after the first set reaches it are not compared")
	return passesArgsOn(cmd)
}

func (f *verifyFlags) run(argv []string) (err error) {
	o, err := f.options()
	if err != nil {
		return err
	}
	if err := probes.CheckEnvironment(); err != nil {
		return envError(err)
	}
	removeStaleCgroups(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, done, err := verifyWorkload(argv, &o)
	if err != nil {
		return err
	}
	defer done(&err)
	rep, err := fidelity.CheckFidelity(ctx, o, work)
	if err != nil {
		if environmental(err) {
			return envError(err)
		}
		return err
	}
	if ctx.Err() != nil {
		return interruptedError(errors.New("interrupted"))
	}
	return f.write(rep)
}

// options are the fidelity check's options that the flags give; bad
// ones are bad usage.
func (f *verifyFlags) options() (fidelity.FidelityOptions, error) {
	o := fidelity.FidelityOptions{RingSize: f.ringSize, Snaplen: f.snaplen, MaxEvents: f.maxEvents}
	switch f.format {
	case "text", "markdown", "json":
	default:
		return o, usageError("verify: unknown format %q (text, markdown or json)", f.format)
	}
	if f.maxEvents < 1 {
		return o, usageError("verify: --max-events must be at least 1")
	}
	for _, s := range strings.Split(f.toctou, ",") {
		t, err := probes.ParseTOCTOU(strings.TrimSpace(s))
		if err != nil {
			return o, usageError("verify: %v", err)
		}
		o.TOCTOU = append(o.TOCTOU, t)
	}
	names := workloads.FidelitySyscalls
	if f.syscalls != "" {
		names = strings.Split(f.syscalls, ",")
	}
	for _, n := range names {
		if _, err := syscalls.Lookup(strings.TrimSpace(n)); err != nil {
			if f.syscalls != "" {
				return o, usageError("verify: %v", err)
			}
			continue // the built-in list names syscalls this architecture may lack
		}
		o.Syscalls = append(o.Syscalls, strings.TrimSpace(n))
	}
	return o, nil
}

// verifyWorkload is what the check runs: the built-in fidelity workload,
// or the command argv in a cgroup of its own, which it sets in o. done
// removes what it made, and sets *err when that fails and it is nil.
func verifyWorkload(argv []string, o *fidelity.FidelityOptions) (work func(context.Context) error, done func(err *error), err error) {
	if len(argv) == 0 {
		dir, err := os.MkdirTemp("", "benchctl-verify-")
		if err != nil {
			return nil, nil, err
		}
		// The workload runs on one of benchctl's threads: keep that
		// thread's events while it runs the workload, and no other.
		win := fidelity.NewThreadWindow()
		o.Window = win
		work := func(context.Context) error { return workloads.FidelityCalls(dir, win.Mark) }
		return work, func(*error) { os.RemoveAll(dir) }, nil
	}
	cg, err := probes.NewCgroup("benchctl-verify")
	if err != nil {
		return nil, nil, envError(fmt.Errorf("following the command's process tree needs cgroup v2: %w", err))
	}
	o.CgroupID, o.CgroupFD = cg.ID, cg.FD()
	work = func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.FD(), Pdeathsig: syscall.SIGKILL}
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				fmt.Fprintf(os.Stderr, "benchctl verify: %s: %v (its events are checked all the same)\n", argv[0], err)
				return nil
			}
			return fmt.Errorf("running %s: %w", argv[0], err)
		}
		return nil
	}
	return work, func(err *error) { destroyCgroup(cg, "verify", os.Stderr, err) }, nil
}

// write prints the report in the --format asked for; a mismatch, or a
// check that could not compare, is exit 1.
func (f *verifyFlags) write(rep *fidelity.FidelityReport) error {
	switch f.format {
	case "json":
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	default:
		writeFidelity(os.Stdout, rep, f.format == "markdown")
	}
	switch {
	case rep.OK():
	case rep.Mismatches() > 0:
		return failedError(fidelity.ErrFidelity)
	default:
		return failedError(fmt.Errorf("%w: %s", fidelity.ErrFidelityUnchecked, strings.Join(rep.Unchecked(), "; ")))
	}
	return nil
}

// writeFidelity prints one table per TOCTOU option.
func writeFidelity(w io.Writer, rep *fidelity.FidelityReport, markdown bool) {
	for _, t := range rep.Options {
		rows := rep.Rows[t]
		title := fmt.Sprintf("exit_only (toctou %s) against enter_exit", t)
		header := []string{"syscall", "calls", "merged", "pairs", "params compared", "mismatches", "explained", "merged only", "verdict"}
		var lines [][]string
		for _, r := range rows {
			verdict := rep.RowVerdict(r)
			lines = append(lines, []string{r.Syscall, fmt.Sprint(r.Calls), fmt.Sprint(r.Merged), fmt.Sprint(r.Pairs),
				fmt.Sprint(r.Compared), fmt.Sprint(r.Mismatches), fmt.Sprint(r.Explained), strings.Join(r.Extra, " "), verdict})
		}
		if markdown {
			fmt.Fprintf(w, "### %s\n\n| %s |\n|%s\n", title, strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
			for _, l := range lines {
				fmt.Fprintf(w, "| %s |\n", strings.Join(l, " | "))
			}
		} else {
			fmt.Fprintln(w, title)
			right := []bool{1: true, 2: true, 3: true, 4: true, 5: true, 6: true}
			_ = page.WriteTextTable(w, "", header, lines, right) // like the Fprintf calls around it
		}
		for _, r := range rows {
			for _, reason := range r.Reasons {
				fmt.Fprintf(w, "explained: %s %s\n", r.Syscall, reason)
			}
		}
		fmt.Fprintln(w)
	}
	for _, name := range slices.Sorted(maps.Keys(rep.Received)) {
		fmt.Fprintf(w, "%s: %d events received, %d kept, %d late, %d dropped\n", name, rep.Received[name], rep.Kept[name], rep.Late[name], rep.Drops[name])
	}
	if rep.Capped > 0 {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(rep.NotCompared)) {
			parts = append(parts, fmt.Sprintf("%s %d", name, rep.NotCompared[name]))
		}
		fmt.Fprintf(w, "bounded: a probe set reached --max-events %d; the calls after it were not compared (events left out: %s)\n", rep.Capped, strings.Join(parts, ", "))
	}
	unchecked := rep.Unchecked()
	for _, why := range unchecked {
		fmt.Fprintf(w, "incomplete: %s\n", why)
	}
	switch {
	case rep.OK() && rep.Capped > 0:
		fmt.Fprintln(w, "verdict: every merged event compared says what its enter and exit events said (up to --max-events, see above)")
	case rep.OK():
		fmt.Fprintln(w, "verdict: every merged event says what its enter and exit events said")
	case rep.Mismatches() > 0:
		fmt.Fprintln(w, "verdict: MISMATCH")
	default:
		fmt.Fprintln(w, "verdict: COULD NOT CHECK (events dropped or late; no parameter differed)")
	}
}
