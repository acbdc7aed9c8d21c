package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/benchctl/benchctl/probes"
)

// TestForeignProgramsReportedAndRefused starts bpftrace on
// raw_syscalls:sys_enter, as another agent on the host would be, then
// runs a small scenario: every run records bpftrace's program as
// foreign, and with Strict the scenario refuses to measure
// (ErrForeignPrograms) and records no run.
func TestForeignProgramsReportedAndRefused(t *testing.T) {
	requireProbes(t)
	requireBpftrace(t)
	cmd := exec.Command("bpftrace", "-e", "tracepoint:raw_syscalls:sys_enter { }")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out strings.Builder
	var outMu sync.Mutex
	cmd.Stdout = lockedWriter{&outMu, &out}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	holder := fmt.Sprintf("bpftrace (pid %d)", cmd.Process.Pid)
	var progIDs []uint32
	t.Cleanup(func() {
		// Stop bpftrace and wait until the kernel has freed its programs
		// (WaitGone opens nothing), so no later test iterates links
		// while they are torn down.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := probes.WaitGone(progIDs, nil, 30*time.Second); err != nil {
			t.Errorf("bpftrace's programs: %v", err)
		}
	})
	mine := func(fs []results.ForeignProgram) (out []results.ForeignProgram) {
		for _, f := range fs {
			if f.Holder == holder {
				out = append(out, f)
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		fs, err := probes.SyscallPrograms(false)
		if err != nil {
			t.Logf("listing: %v", err)
		}
		if m := mine(fs); len(m) > 0 {
			for _, f := range m {
				progIDs = append(progIDs, f.ProgramID)
				if !strings.HasSuffix(f.AttachPoint, "/sys_enter") {
					t.Errorf("bpftrace's program at %q, want .../sys_enter", f.AttachPoint)
				}
			}
			break
		}
		select {
		case <-exited:
			// bpftrace is a tracer this project did not build: a kernel
			// that refuses it is a result (tracertest's rule).
			outMu.Lock()
			text := out.String()
			outMu.Unlock()
			tracertest.SkipRefused(t, "bpftrace", probes.ClassifyTracerOutput(text, nil, tracertest.ExitCode(cmd.ProcessState)), text)
			t.Fatalf("bpftrace exited (%v) before its program showed up on sys_enter:\n%s", cmd.ProcessState, text)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bpftrace's program never showed up on sys_enter: %v", fs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	sc, err := scenario.ParseBytes("foreign.yaml", []byte(`name: foreign
workload: {type: syscalls, mix: getpid, threads: 1, count: 20000}
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 1
warmup: 0
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(sc, RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) == 0 {
		t.Fatal("no runs")
	}
	for _, run := range res.Runs {
		if len(mine(run.Foreign)) == 0 {
			t.Errorf("%s round %d: foreign %v, want bpftrace's program", run.Variant, run.Round, run.Foreign)
		}
	}

	r, err = NewRunner(sc, RunOptions{Seed: 1, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err = r.Run(context.Background())
	if !errors.Is(err, ErrForeignPrograms) || !strings.Contains(err.Error(), holder) {
		t.Errorf("strict: %v, want ErrForeignPrograms naming %s", err, holder)
	}
	if res != nil && len(res.Runs) != 0 {
		t.Errorf("strict: %d runs measured", len(res.Runs))
	}
}

// lockedWriter serializes writes to w, for a child's stdout and stderr.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
