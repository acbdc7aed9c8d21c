// Package tracertest holds the one rule by which tests run tracers that
// this project did not build (Falco's scap-open and sinsp-example from
// ../shared/tracers, bpftrace): where to find them, and what a test does
// when the host's kernel refuses one.
//
// A kernel that refuses a third-party tracer is a result, in tests as in
// reports. The test then asserts that benchctl classified the refusal
// (for the verifier's: the program, the verifier's line and the
// instructions processed) and skips its measuring part with that
// classification as the reason. It fails when benchctl misreads the
// tracer's output, when the tracer did not start for another reason (a
// missing library, a bad flag), or when something is left behind.
//
// Only tests import this package.
package tracertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/benchctl/benchctl/record"
)

// SharedDir is ../shared/tracers beside the repository: the falcosecurity
// builds its README describes. It walks up from the working directory
// (a test's package directory) to the module's root.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "tracers")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Shared returns the absolute path of a binary of ../shared/tracers,
// skipping the test when it is not there: those builds come with the
// workplace, not from a package this machine can install.
func Shared(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(SharedDir(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is not in ../shared/tracers beside the repository (%v): it holds the falcosecurity/libs builds", name, err)
	}
	return p
}

// Bpftrace returns bpftrace's path. make test installs it (make deps), so
// in CI its absence fails the test; elsewhere, as in a QEMU guest of make
// test-kernels, which carries only benchctl's own binaries, the test
// skips and says how to get it.
func Bpftrace(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("bpftrace")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bpftrace is not installed: make deps (which .ci/run calls) installs it")
		}
		t.Skip("bpftrace is not installed: make deps installs it")
	}
	return p
}

// KernelRefusal tells whether f is the kernel's refusal of a tracer, and
// if not, why not. A refusal of the verifier's must name the program, the
// verifier's line and the instructions processed; missing kernel support
// and a failed attach must quote the line that said so. Anything else (the
// tracer exited, or was denied permission) is not the kernel's answer.
func KernelRefusal(f *record.Refusal) (bool, string) {
	if f == nil {
		return false, "no refusal"
	}
	switch f.Kind {
	case record.RefusedVerifier:
		if f.Program == "" || f.Line == "" || f.Processed <= 0 {
			return false, fmt.Sprintf("the verifier's refusal was misread: program %q, line %q, %d insns processed (%+v)", f.Program, f.Line, f.Processed, *f)
		}
	case record.RefusedMissing, record.RefusedAttach:
		if f.Line == "" {
			return false, fmt.Sprintf("a %s refusal without the line that says so: %+v", f.Kind, *f)
		}
	default:
		return false, fmt.Sprintf("the tracer did not start, and not because the kernel refused it: %s", f)
	}
	return true, ""
}

// SkipRefused does nothing when f is nil. Otherwise it fails the test
// unless f is a fully classified kernel refusal (KernelRefusal), and skips
// it with the classification as the reason. output, what the tracer
// printed, is logged when the classification fails, to show what was
// misread.
func SkipRefused(t testing.TB, tracer string, f *record.Refusal, output string) {
	t.Helper()
	if f == nil {
		return
	}
	if ok, why := KernelRefusal(f); !ok {
		t.Fatalf("%s: %s; its last output:\n%s", tracer, why, tail(output, 40))
	}
	t.Skipf("this kernel refuses %s (benchctl classified it: %s): the measuring part is skipped", tracer, f)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	end := len(s)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' && i < end-1 {
			n--
			if n == 0 {
				return s[i+1:]
			}
		}
	}
	return s
}

// ExitCode is a finished process's exit status for
// probes.ClassifyTracerOutput: nil when a signal ended it, or when it has
// not finished.
func ExitCode(ps *os.ProcessState) *int {
	if ps == nil || !ps.Exited() {
		return nil
	}
	code := ps.ExitCode()
	return &code
}
