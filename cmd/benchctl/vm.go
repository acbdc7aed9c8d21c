package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/guest"
)

// vmFlags are vm's flags.
type vmFlags struct {
	kernel, accel, memory, share, workdir, self, appendArgs string
	cpus                                                    int
	timeout                                                 time.Duration
	shell, detect, quiet                                    bool
	bins, modules, env, programs                            stringList
}

func newVMCmd() *cobra.Command {
	var f vmFlags
	cmd := &cobra.Command{
		Use:   "vm --kernel PATH -- ARGS...",
		Short: "run benchctl ARGS inside a QEMU guest booted with another kernel",
		Long:  vmHelp,
		RunE:  func(cmd *cobra.Command, args []string) error { return f.run(args) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.kernel, "kernel", "", "the kernel image (bzImage) to boot (required)")
	fs.StringVar(&f.accel, "accel", "auto", "auto (KVM when a short boot test succeeds, else TCG), kvm or tcg")
	fs.StringVar(&f.memory, "memory", "2G", "guest memory, as QEMU's -m")
	fs.IntVar(&f.cpus, "smp", 2, "guest CPUs")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Minute, "kill the guest after this long")
	fs.StringVar(&f.share, "share", ".", "host folder copied into the guest at the same path; the files the guest creates or changes in it come back ('' for none)")
	fs.StringVar(&f.workdir, "workdir", "", "guest working folder, relative to the share (default: the current folder)")
	fs.StringVar(&f.self, "benchctl", "", "the statically linked benchctl to run in the guest (default: this one)")
	fs.BoolVar(&f.shell, "sh", false, "run ARGS as a shell command line in the guest instead of 'benchctl ARGS'")
	fs.BoolVar(&f.detect, "detect-accel", false, "only print kvm or tcg: how --accel auto would run this kernel")
	fs.StringVar(&f.appendArgs, "append", "", "add these `ARGS` to the kernel command line (e.g. loglevel=7 for the kernel's messages)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "do not stream the guest's console (it is printed when the guest fails)")
	fs.Var(&f.bins, "bin", "also copy this statically linked `FILE` into the guest's /usr/local/bin (repeatable)")
	fs.Var(&f.programs, "program", "also copy this `PROGRAM` (a path, or a name on PATH; dynamically linked is fine) into the guest at its host path, with the shared libraries ldd lists for it (repeatable; e.g. an external tracer)")
	fs.Var(&f.modules, "module", "insert this kernel module `FILE.ko` at boot (repeatable, in order)")
	fs.Var(&f.env, "env", "export `KEY=VALUE` to the guest's commands, KEY a shell variable name (repeatable)")
	return passesArgsOn(cmd)
}

const vmHelp = `Usage: benchctl vm --kernel PATH [--accel auto|kvm|tcg] [--memory 2G] [--timeout 30m] [--share DIR] [--program PROG...] -- ARGS...
       benchctl vm --kernel PATH --sh [--bin FILE...] [--workdir DIR] -- 'SHELL COMMAND'
       benchctl vm --kernel PATH --detect-accel

Boots PATH (a bzImage) in QEMU with an initramfs holding busybox, a static
benchctl and a copy of the shared folder (default: the current one, without
.git and .cache), runs 'benchctl ARGS...' in it from the same folder, copies
the files it created or changed back into the shared folder, and exits
with the guest's exit status. KVM is used when a short boot test succeeds,
TCG otherwise; under TCG timings mean nothing. The results file says which
(environment.guest: qemu-kvm or qemu-tcg). The guest kernel needs BTF and
an 8250 serial port; it needs no 9p or virtio driver.`

func (f *vmFlags) run(rest []string) error {
	if f.kernel == "" {
		return usageError("vm: --kernel is required")
	}
	if err := guest.CheckEnv(f.env); err != nil {
		return usageError("vm: --%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.detect {
		a, err := guest.Detect(ctx, f.kernel, os.Stderr)
		if err != nil {
			return envError(fmt.Errorf("vm: %w", err))
		}
		fmt.Println(a)
		return nil
	}
	if len(rest) == 0 {
		return usageError("vm: no command: benchctl vm --kernel PATH -- ARGS...")
	}

	spec, cwd, err := f.spec(rest)
	if err != nil {
		return err
	}
	var console strings.Builder
	if f.quiet {
		spec.Console = &console
	} else {
		spec.Console = os.Stdout
	}
	res, err := guest.Run(ctx, spec)
	if res != nil {
		for _, f := range res.Files {
			rel, rerr := filepath.Rel(cwd, f)
			if rerr != nil {
				rel = f
			}
			fmt.Fprintf(os.Stderr, "vm: from the guest: %s\n", rel)
		}
	}
	if err != nil {
		if f.quiet {
			os.Stdout.WriteString(console.String())
		}
		if errors.Is(err, guest.ErrNoExit) || res == nil || res.ExitCode < 0 {
			return envError(fmt.Errorf("vm: %w", err))
		}
		return failedError(fmt.Errorf("vm: %w", err))
	}
	fmt.Fprintf(os.Stderr, "vm: guest (%s) exited with status %d after %s\n", res.Guest(), res.ExitCode, res.Boot.Round(100*time.Millisecond))
	if res.ExitCode != 0 {
		if f.quiet {
			os.Stdout.WriteString(console.String())
		}
		return statusError(res.ExitCode)
	}
	return nil
}

// spec is the guest that runs rest: the kernel, the files it is given
// and the command, as the flags say; and the current folder, which the
// files the guest brings back are named from.
func (f *vmFlags) spec(rest []string) (spec guest.Spec, cwd string, err error) {
	spec = guest.Spec{
		Kernel: f.kernel, Accel: f.accel, Memory: f.memory, CPUs: f.cpus, Timeout: f.timeout,
		Binaries: f.bins, Modules: f.modules, Env: f.env, Log: os.Stderr, KernelArgs: f.appendArgs,
	}
	for _, p := range f.programs {
		abs, err := resolveProgram(p)
		if err != nil {
			return spec, "", usageError("vm: --program %s: %v", p, err)
		}
		spec.Programs = append(spec.Programs, abs)
	}
	cwd, err = os.Getwd()
	if err != nil {
		return spec, "", err
	}
	if f.share != "" {
		if spec.Share, err = filepath.Abs(f.share); err != nil {
			return spec, "", err
		}
		spec.Workdir = cwd
		if f.workdir != "" {
			spec.Workdir = filepath.Join(spec.Share, f.workdir)
		}
		if rel, err := filepath.Rel(spec.Share, spec.Workdir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			spec.Workdir = spec.Share
		}
	}
	if f.shell {
		spec.Commands = [][]string{{"sh", "-c", strings.Join(rest, " ")}}
	} else {
		exe := f.self
		if exe == "" {
			if exe, err = os.Executable(); err != nil {
				return spec, "", err
			}
		}
		if err := guest.CheckStatic(exe); err != nil {
			return spec, "", envError(fmt.Errorf("vm: %w (e.g. CGO_ENABLED=0 go build -o bin/benchctl ./cmd/benchctl, or pass --benchctl)", err))
		}
		spec.Binaries = append([]string{exe}, spec.Binaries...)
		spec.Commands = [][]string{append([]string{filepath.Base(exe)}, rest...)}
	}
	return spec, cwd, nil
}

// resolveProgram finds p (a path, or a name on PATH) as an absolute path.
func resolveProgram(p string) (string, error) {
	if !strings.Contains(p, "/") {
		return exec.LookPath(p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", abs)
	}
	return abs, nil
}
