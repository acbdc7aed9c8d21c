package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/external"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// check is one line of the doctor's checklist.
type check struct {
	name string
	// required checks make `doctor` exit 3 when they fail; the others
	// only limit what can be run (a workload, regeneration).
	required bool
	run      func() (detail string, err error)
	fix      string
}

func newDoctorCmd() *cobra.Command {
	var sf scenarioFlags
	cmd := &cobra.Command{
		Use:   "doctor [SCENARIO.yaml]",
		Short: "check what this machine can run, and say how to fix what it cannot",
		Long: "Usage: benchctl doctor [SCENARIO.yaml [--only VARIANT ...] [--set NAME=VALUE ...]]\n\n" +
			"Checks privileges, kernel, BTF, tp_btf attach, BPF stats, tracefs,\ncgroup v2, the workload programs and clang; exits 3 when probes cannot run.\n" +
			"With a scenario, also starts each of its external tracers once, as a run\nwould, and says whether it loads on this kernel or how the kernel refused\nit (exit 3 when one does not load).",
		RunE: func(cmd *cobra.Command, args []string) error { return doctor(cmd, &sf, args) },
	}
	sf.registerSelection(cmd.Flags(),
		"with a scenario, check only the tracers of the variants matching `VARIANT` (repeat or separate with commas)",
		"with a scenario, give ${NAME} in it the value VALUE, as `NAME=VALUE` (repeatable)")
	return cmd
}

func doctor(cmd *cobra.Command, sf *scenarioFlags, pos []string) (err error) {
	if len(pos) > 1 {
		cmd.Usage()
		return usageError("doctor takes at most one scenario file, got %d arguments", len(pos))
	}
	// The scenario is read first: a bad file is bad input whatever the machine.
	var sc *scenario.Scenario
	var tracers map[string]bool
	if len(pos) == 1 {
		if sc, err = sf.load(pos[0]); err != nil {
			return err
		}
		if tracers, err = selectedTracers(sc, sf.only); err != nil {
			return err
		}
	}
	failed := 0
	for _, c := range doctorChecks() {
		detail, err := c.run()
		status := "ok  "
		switch {
		case err != nil && c.required:
			status = "FAIL"
			failed++
		case err != nil:
			status = "warn"
		}
		printCheck(status, c.name, detail, err, c.fix)
	}
	if failed > 0 {
		return envError(fmt.Errorf("doctor: %d required check(s) failed: benchctl cannot load probes here", failed))
	}
	if sc == nil || len(tracers) == 0 {
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("\nscenario %s: starting each external tracer once, as a run would\n", sc.Name)
	notLoaded := 0
	for _, lc := range external.CheckTracerLoads(ctx, sc, tracers) {
		name := "tracer " + lc.Tracer
		switch {
		case lc.Loaded && lc.Err == nil:
			printCheck("ok  ", name, fmt.Sprintf("loads: %d programs, %d attached, ready after %v", lc.Programs, lc.Attached, lc.Ready.Round(time.Millisecond)), nil, "")
		case lc.Refusal != nil:
			notLoaded++
			printCheck("FAIL", name, "", fmt.Errorf("refused by this kernel: %s", lc.Refusal), "none on this kernel: its variants would record this refusal and measure nothing (docs/kernels.md#load-cost-and-refusals); use a build this kernel accepts, or another kernel (benchctl matrix)")
		default:
			notLoaded++
			printCheck("FAIL", name, "", lc.Err, "")
		}
	}
	if ctx.Err() != nil {
		return interruptedError(errors.New("doctor: interrupted"))
	}
	if notLoaded > 0 {
		return envError(fmt.Errorf("doctor: %d tracer(s) of %s do not load here", notLoaded, sc.Name))
	}
	return nil
}

// printCheck prints one line of the checklist, and how to fix a failure.
func printCheck(status, name, detail string, err error, fix string) {
	line := fmt.Sprintf("[%s] %-26s", status, name)
	if err != nil {
		line += " " + err.Error()
	} else if detail != "" {
		line += " " + detail
	}
	fmt.Println(strings.TrimRight(line, " "))
	if err != nil && fix != "" {
		fmt.Printf("       fix: %s\n", fix)
	}
}

// selectedTracers names the tracers of sc's variants that match only
// (all of them when only is empty).
func selectedTracers(sc *scenario.Scenario, only []string) (map[string]bool, error) {
	all, err := sc.Expand()
	if err != nil {
		return nil, usageError("%v", err)
	}
	vs, err := scenario.Select(all, only)
	if err != nil {
		return nil, usageError("%v", err)
	}
	out := map[string]bool{}
	for _, v := range vs {
		if v.Tracer != "" {
			out[v.Tracer] = true
		}
	}
	return out, nil
}

func doctorChecks() []check {
	return []check{
		{name: "privileges", required: true, run: checkPrivileges,
			fix: "run as root, or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (e.g. sudo setcap cap_bpf,cap_perfmon,cap_sys_admin+ep ./benchctl)"},
		{name: "architecture", required: true, run: func() (string, error) {
			var u unix.Utsname
			unix.Uname(&u)
			m := unix.ByteSliceToString(u.Machine[:])
			if m != "x86_64" {
				return "", fmt.Errorf("%s: the committed BPF objects and syscall fillers are for x86_64", m)
			}
			return m, nil
		}, fix: "run on x86-64 (arm64 has a syscall table but no generated objects yet)"},
		{name: "kernel version", required: true, run: checkKernel,
			fix: "use Linux 5.11 or newer (ring buffers 5.8, BPF_ENABLE_STATS 5.8, memcg-charged BPF memory 5.11)"},
		{name: "BTF", required: true, run: func() (string, error) {
			if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
				return "", errors.New("/sys/kernel/btf/vmlinux is missing")
			}
			return "/sys/kernel/btf/vmlinux", nil
		}, fix: "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels since 2021)"},
		{name: "tp_btf attach", required: true, run: func() (string, error) {
			p, err := probes.Load(probes.Config{Mode: probes.ModeFloor})
			if err != nil {
				return "", err
			}
			defer p.Close()
			return "floor programs loaded and attached to sys_enter and sys_exit", nil
		}, fix: "see the privileges, kernel and BTF lines above; a locked-down kernel (lockdown=confidentiality) refuses BPF tracing"},
		{name: "BPF stats", required: true, run: func() (string, error) {
			c, method, err := probes.EnableStats()
			if err != nil {
				return "", err
			}
			c.Close()
			return "via " + method, nil
		}, fix: "needs Linux 5.8 for BPF_ENABLE_STATS, or write access to /proc/sys/kernel/bpf_stats_enabled"},
		{name: "memlock limit", run: func() (string, error) {
			var r unix.Rlimit
			if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &r); err != nil {
				return "", err
			}
			lim := "unlimited"
			if r.Cur != unix.RLIM_INFINITY {
				lim = strconv.FormatUint(r.Cur/1024, 10) + " KiB"
			}
			return lim + " (BPF memory is charged to the cgroup on Linux 5.11+, so this does not limit ring buffers)", nil
		}},
		{name: "tracefs syscall events", run: checkTracefs,
			fix: "mount -t tracefs tracefs /sys/kernel/tracing (needed by exit_only with toctou stash or enter_event)"},
		{name: "hardware PMU", run: func() (string, error) {
			if err := probes.CheckPMU(); err != nil {
				return "", err
			}
			return "instructions retired can be counted (perf_event_open)", nil
		}, fix: "none inside most VMs: figures that would need instructions retired are left out"},
		{name: "cgroup v2", run: func() (string, error) {
			m, err := probes.Cgroup2Mount()
			if err != nil {
				return "", err
			}
			return "mounted at " + m, nil
		}, fix: "mount -t cgroup2 none /sys/fs/cgroup/unified (benchctl trace follows a process tree with it)"},
		{name: "redis-server", run: lookBinary("redis-server", "--version"), fix: "apt-get install redis-server (for the redis workload)"},
		{name: "redis-benchmark", run: lookBinary("redis-benchmark", "--version"), fix: "apt-get install redis-tools (for the redis workload)"},
		{name: "clang (make generate)", run: lookBinary("clang", "--version"), fix: "apt-get install clang llvm libbpf-dev (only to regenerate the BPF objects)"},
	}
}

func checkPrivileges() (string, error) {
	if os.Geteuid() == 0 {
		return "root", nil
	}
	if err := probes.CheckEnvironment(); err != nil {
		return "", err
	}
	return "not root, but CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) are effective", nil
}

func checkKernel() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var major, minor int
	fmt.Sscanf(rel, "%d.%d", &major, &minor)
	if major < 5 || (major == 5 && minor < 11) {
		return "", fmt.Errorf("%s is older than 5.11", rel)
	}
	return rel, nil
}

func checkTracefs() (string, error) {
	for _, dir := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(dir + "/events/syscalls/sys_enter_openat"); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("syscalls/sys_enter_openat not found under /sys/kernel/tracing (tracefs not mounted, or no CONFIG_FTRACE_SYSCALLS)")
}

func lookBinary(name string, versionArg string) func() (string, error) {
	return func() (string, error) {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s not found on PATH", name)
		}
		out, _ := exec.Command(path, versionArg).CombinedOutput()
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return path + ": " + first, nil
	}
}
