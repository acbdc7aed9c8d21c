package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
)

func requireRun(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("benchctl run loads BPF programs: needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
}

// writeFile writes text to name in a fresh folder and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyScenario is a getpid generator traced by exit_only, one round.
const tinyScenario = `name: tiny
workload: {type: syscalls, mix: getpid, threads: 1, %s}
sets: {getpid: [getpid]}
modes: [exit_only]
floor: false
repetitions: 1
warmup: 0
`

func exitStatus(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestRunCLI runs `benchctl run` as a user does, in its own process: exit
// 0, and the results file, the markdown report and its charts beside it.
func TestRunCLI(t *testing.T) {
	requireRun(t)
	sc := writeFile(t, "tiny.yaml", strings.Replace(tinyScenario, "%s", "count: 50000", 1))
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := benchctl("run", sc, "-o", out, "--seed", "1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v; stderr:\n%s", err, stderr.String())
	}
	res, err := results.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || len(res.RunsOf("getpid/exit_only")) != 1 || len(res.RunsOf("baseline")) != 1 {
		t.Errorf("results: complete %v, runs %d", res.Complete, len(res.Runs))
	}
	md, err := os.ReadFile(strings.TrimSuffix(out, ".json") + ".md")
	if err != nil || !strings.Contains(string(md), "getpid/exit_only") {
		t.Errorf("markdown report beside the results: %v", err)
	}
	charts, _ := filepath.Glob(strings.TrimSuffix(out, ".json") + "-charts/*.svg")
	if len(charts) == 0 {
		t.Error("no SVG charts beside the results")
	}
}

// TestRunCLIMissingTracer: a scenario whose tracer program is not there
// stops with exit 3 naming it, before anything runs or is written.
func TestRunCLIMissingTracer(t *testing.T) {
	sc := writeFile(t, "missing.yaml", strings.Replace(tinyScenario, "%s", "count: 10", 1)+`tracers:
  gone:
    argv: [/nonexistent/dir/tracer]
    sets: {getpid: []}
`)
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := benchctl("run", sc, "-o", out)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if exitStatus(err) != 3 || !strings.Contains(stderr.String(), "/nonexistent/dir/tracer") {
		t.Errorf("run: exit %d, stderr %q; want exit 3 naming the program", exitStatus(err), stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a results file was written: %v", err)
	}
	cmd = benchctl("validate", sc)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Run(); exitStatus(err) != 3 {
		t.Errorf("validate: exit %d, want 3", exitStatus(err))
	}
}

// TestRunCLIInterrupt: Ctrl-C while a run measures ends benchctl with exit
// 130, an incomplete results file (none when no run had ended) and
// nothing loaded; so do two presses in a row (the second aborts at once
// if the graceful stop still runs).
func TestRunCLIInterrupt(t *testing.T) {
	requireRun(t)
	for _, presses := range []int{1, 2} {
		sc := writeFile(t, "long.yaml", strings.Replace(tinyScenario, "%s", "duration: 8s", 1))
		out := filepath.Join(t.TempDir(), "r.json")
		cmd := benchctl("run", sc, "-o", out, "--only", "getpid/exit_only")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the run holds attached probes (the fingerprint pass
		// attaches a counting program first: wait for the dispatcher).
		var held probes.TreeBPF
		deadline := time.Now().Add(60 * time.Second)
		for {
			tb, err := probes.FindBPF([]int{cmd.Process.Pid})
			if err == nil {
				for _, a := range tb.Attached {
					if a.Role == probes.RoleExit && len(tb.Attached) == 1 && tb.MemlockBytes > 1<<20 {
						held = tb
					}
				}
			}
			if len(held.Programs) > 0 {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the probes never appeared; stderr:\n%s", stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The second press comes 5 ms after the first: apart enough not
		// to merge into one pending signal, soon enough to find the
		// graceful stop still going.
		for i := 0; i < presses; i++ {
			cmd.Process.Signal(syscall.SIGINT)
			time.Sleep(5 * time.Millisecond)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%d Ctrl-C: benchctl did not end; stderr:\n%s", presses, stderr.String())
		}
		if exitStatus(err) != 130 {
			t.Errorf("%d Ctrl-C: exit %d, want 130; stderr:\n%s", presses, exitStatus(err), stderr.String())
		}
		// The graceful stop usually ends within the 5 ms, so a second
		// press need not find it running: either way it must end as
		// cleanly.
		t.Logf("%d Ctrl-C, aborted: %v", presses, strings.Contains(stderr.String(), "aborting"))
		// The baseline may or may not have run before the traced run
		// that was interrupted: a file is written once a run has ended,
		// and not before.
		if res, err := results.ReadResults(out); errors.Is(err, os.ErrNotExist) {
			if !strings.Contains(stderr.String(), "no results written") {
				t.Errorf("%d Ctrl-C: no results file, and stderr does not say so:\n%s", presses, stderr.String())
			}
		} else if err != nil || res.Complete || len(res.Runs) == 0 {
			t.Errorf("%d Ctrl-C: results %v (err %v), want an incomplete file with the runs that ended", presses, res != nil && res.Complete, err)
		}
		if err := probes.WaitGone(held.Programs, held.Maps, 10*time.Second); err != nil {
			t.Errorf("%d Ctrl-C: %v", presses, err)
		}
	}
}
