package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// fakeClock is a settable clock for Progress.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestProgress(tty bool) (*Progress, *bytes.Buffer, *fakeClock) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewProgress(&buf, tty)
	p.now = clock.now
	p.redraw = time.Hour // the tests draw by hand
	return p, &buf, clock
}

func TestProgressPlainLines(t *testing.T) {
	p, buf, clock := newTestProgress(false)
	p.Begin(Plan{Variants: 2, Rounds: 1, Warmup: 1, Runs: 4, PerRun: 2 * time.Second})
	change := -0.125
	runs := []struct {
		info RunInfo
		run  results.Run
	}{
		{RunInfo{Index: 0, Variant: "baseline", Round: -1, Warmup: true}, results.Run{Wall: time.Second, Workload: workloads.Result{Throughput: 140000, Unit: "requests/s"}}},
		{RunInfo{Index: 1, Variant: "big/exit_only", Round: -1, Warmup: true}, results.Run{
			Wall:     time.Second,
			Programs: []probes.ProgramStats{{Name: "sys_exit", RunCount: 10, RunTimeNs: 2e9}},
			Kernel:   probes.Counters{Attempted: 2_000_000, DropsFull: 3},
			User:     probes.ConsumerStats{Events: 1_999_997},
			Workload: workloads.Result{Throughput: 122500, Unit: "requests/s"},
			Derived:  results.Derived{KernelTimeNs: 2e9, NsPerSyscall: 200, ThroughputChange: &change},
		}},
		{RunInfo{Index: 2, Variant: "big/exit_only", Round: 0}, results.Run{Error: "loading probes: boom"}},
	}
	for _, r := range runs {
		p.RunStart(r.info)
		clock.advance(1500 * time.Millisecond)
		p.RunEnd(r.info, &r.run)
	}
	p.Note("a note")
	p.End()
	want := []string{
		"running 2 variants × (1 rounds + 1 warm-up) = 4 runs, about 8.0s",
		"[1/4] warm-up 1/1 baseline ...",
		"[1/4] warm-up 1/1 baseline                     140.0k requests/s, 1.0s",
		"[2/4] warm-up 1/1 big/exit_only ...",
		"[2/4] warm-up 1/1 big/exit_only                122.5k requests/s (-12.5%), kernel 2.0s, 200.0 ns/syscall, 2.00M events, 3 drops, 1.0s",
		"[3/4] round 1/1 big/exit_only ...",
		"[3/4] round 1/1 big/exit_only                FAILED: loading probes: boom",
		"a note",
		"finished 3 of 4 runs in 4.5s",
	}
	got := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(buf.String(), "\r") || strings.Contains(buf.String(), "\x1b") {
		t.Error("plain output has terminal control characters")
	}
}

func TestProgressETA(t *testing.T) {
	p, _, clock := newTestProgress(false)
	p.Begin(Plan{Runs: 10, Rounds: 5, Variants: 2, PerRun: 3 * time.Second})
	if got := p.ETA(); got != 30*time.Second {
		t.Errorf("ETA before any run = %s, want 30s from the plan", got)
	}
	info := RunInfo{Variant: "v"}
	p.RunStart(info)
	clock.advance(time.Second)
	if got := p.ETA(); got != 29*time.Second {
		t.Errorf("ETA during the first run = %s, want 29s", got)
	}
	clock.advance(time.Second)
	p.RunEnd(info, &results.Run{})
	// One run took 2s: 9 left.
	if got := p.ETA(); got != 18*time.Second {
		t.Errorf("ETA after one 2s run = %s, want 18s", got)
	}
	p.RunStart(info)
	clock.advance(5 * time.Second) // longer than the average: no negative share
	if got := p.ETA(); got != 16*time.Second {
		t.Errorf("ETA during an overlong run = %s, want 16s", got)
	}
	p.End()

	q, _, _ := newTestProgress(false)
	q.Begin(Plan{Runs: 3})
	if q.ETA() >= 0 {
		t.Error("ETA without any estimate should be unknown (negative)")
	}
	q.End()
}

func TestProgressTerminal(t *testing.T) {
	p, buf, clock := newTestProgress(true)
	p.Begin(Plan{Variants: 1, Rounds: 2, Runs: 2, PerRun: time.Second})
	info := RunInfo{Index: 0, Variant: "small/enter_exit", Round: 0}
	p.RunStart(info)
	out := buf.String()
	if !strings.Contains(out, "\r\x1b[K[>") || !strings.Contains(out, "0/2  round 1/2  small/enter_exit  ETA 2.0s") {
		t.Errorf("no progress bar drawn:\n%q", out)
	}
	p.Note("hello")
	if !strings.Contains(buf.String(), "\r\x1b[Khello\n") {
		t.Errorf("note does not clear the bar first:\n%q", buf.String())
	}
	clock.advance(time.Second)
	p.RunEnd(info, &results.Run{Wall: time.Second})
	p.RunStart(RunInfo{Index: 1, Variant: "small/exit_only", Round: 1})
	if !strings.Contains(buf.String(), "[============>           ] 1/2  round 2/2  small/exit_only  ETA 1.0s") {
		t.Errorf("bar after one run:\n%q", buf.String())
	}
	p.End()
	if !strings.HasSuffix(buf.String(), "\r\x1b[Kfinished 1 of 2 runs in 1.0s\n") {
		t.Errorf("End does not clear the bar:\n%q", buf.String())
	}
}
