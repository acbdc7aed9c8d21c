package main

import (
	"errors"
	"fmt"

	"github.com/benchctl/benchctl/bench"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// The exit codes of benchctl, decided in this file only: a command
// returns one of the errors below (or a plain error, exit 1) and main
// exits with statusOf it.
const (
	// exitFailed: a gated regression, a run in which a variant measured
	// nothing, a traced command that failed, a fidelity mismatch, a
	// matrix kernel without results.
	exitFailed = 1
	// exitUsage: bad usage or bad input.
	exitUsage = 2
	// exitEnv: the environment cannot run it.
	exitEnv = 3
	// exitInconclusive: a gate that could not decide a gated figure
	// (and was not told to pass it with --inconclusive pass), or a
	// history series too short to say.
	exitInconclusive = 4
	// exitInterrupted: stopped by SIGINT or SIGTERM.
	exitInterrupted = 130
)

// exitError carries the process exit code of a failed command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errSilent marks an exit code whose reason has already been printed.
var errSilent = errors.New("")

// usageError is bad usage or bad input: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// envError is an environment that cannot run the command: exit 3.
func envError(err error) error { return &exitError{code: exitEnv, err: err} }

// failedError is a command that ran and failed: exit 1.
func failedError(err error) error { return &exitError{code: exitFailed, err: err} }

// inconclusiveError is a gate that could not decide: exit 4.
func inconclusiveError(err error) error { return &exitError{code: exitInconclusive, err: err} }

// interruptedError is a command stopped by a signal: exit 130.
func interruptedError(err error) error { return &exitError{code: exitInterrupted, err: err} }

// statusError passes on the exit status of a process benchctl ran (a
// guest's), its reason already printed.
func statusError(code int) error { return &exitError{code: code, err: errSilent} }

// environmental says whether what failed is the machine (exit 3), not
// the input or the measuring: no privileges, no BTF, a workload or
// tracer program that is not installed, programs of others on the
// syscall tracepoints under --strict.
func environmental(err error) bool {
	for _, e := range []error{probes.ErrPermission, probes.ErrNoBTF, workloads.ErrMissingBinary, workloads.ErrTracerMissing, bench.ErrForeignPrograms} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// statusOf is the process exit status for what a command returned:
// 0 for nil, the code an exitError carries, else 1.
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailed
}
