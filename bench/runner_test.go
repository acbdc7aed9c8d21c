package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// fakeTracer stands in for package probes: each workload run makes
// syscallsPerRun syscalls; the loaded mode decides the programs, their
// counts and the events, and the throughput the workload reports.
type fakeTracer struct {
	mu         sync.Mutex
	loads      int
	openProbes int
	openStats  int
	openWl     int
	current    *fakeProbes // the attached probes, if any
	loadErr    func(n int, cfg probes.Config) error
	countErr   error
	countOpts  probes.CountOptions // what the fingerprint pass asked to count
	// jitter, when set, is added to the throughput of the n-th workload
	// run (from 0) that had probes attached.
	jitter func(n int) float64
	traced int
	// process and thread are the fake CPU clocks (see clocks).
	process, thread time.Duration
}

// clocks are CPU clocks the fake workload, consumer and noise meter move:
// a workload run uses 2 s of benchctl's process, 1.5 s of them on its
// generator's threads; the consumer's drain 0.25 s; every read of the
// thread clock moves it 50 ms and the process's 25 ms, so that the noise
// meter's reading, between two reads, takes 50 ms of both.
func (f *fakeTracer) clocks() cpuClocks {
	return cpuClocks{
		process: func() time.Duration {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.process
		},
		thread: func() time.Duration {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.thread += 50 * time.Millisecond
			f.process += 25 * time.Millisecond
			return f.thread
		},
	}
}

const syscallsPerRun = 1000

func newFakeTracer() *fakeTracer {
	return &fakeTracer{}
}

type fakeProbes struct {
	tr       *fakeTracer
	cfg      probes.Config
	closed   bool
	detached bool
	syscalls uint64 // made while attached
	timeNs   uint64 // accumulated while stats were on
}

func (f *fakeTracer) Load(cfg probes.Config) (probeSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	if f.loadErr != nil {
		if err := f.loadErr(f.loads, cfg); err != nil {
			return nil, err
		}
	}
	p := &fakeProbes{tr: f, cfg: cfg}
	f.openProbes++
	f.current = p
	return p, nil
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

func (f *fakeTracer) EnableStats() (io.Closer, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.openStats++
	var once sync.Once
	return closerFunc(func() error {
		once.Do(func() {
			f.mu.Lock()
			f.openStats--
			f.mu.Unlock()
		})
		return nil
	}), "fake", nil
}

func (f *fakeTracer) CountSyscalls(ctx context.Context, opts probes.CountOptions, fn func(context.Context) error) (map[string]uint64, error) {
	f.mu.Lock()
	f.countOpts = opts
	f.mu.Unlock()
	if f.countErr != nil {
		return nil, f.countErr
	}
	if err := fn(ctx); err != nil {
		return nil, err
	}
	return map[string]uint64{"getpid": syscallsPerRun, "write": 3}, nil
}

// syscall is called by the fake workload for each run.
func (f *fakeTracer) runWorkload() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.process += 2 * time.Second
	p := f.current
	if p == nil || p.closed || p.detached {
		return 100
	}
	p.syscalls += syscallsPerRun
	if f.openStats > 0 {
		p.timeNs += syscallsPerRun * 50
	}
	var j float64
	if f.jitter != nil {
		j = f.jitter(f.traced)
	}
	f.traced++
	switch p.cfg.Mode {
	case probes.ModeEnterExit:
		return 70 + j
	case probes.ModeExitOnly:
		return 85 + j
	}
	return 95 + j
}

func (p *fakeProbes) Snapshot() (probes.Snapshot, error) {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	if p.closed {
		return probes.Snapshot{}, errors.New("closed")
	}
	var progs []string
	events := uint64(0)
	switch p.cfg.Mode {
	case probes.ModeFloor:
		progs = []string{"floor_enter", "floor_exit"}
	case probes.ModeEnterExit:
		progs = []string{"sys_enter", "sys_exit"}
		events = 2 * p.syscalls
	case probes.ModeExitOnly:
		progs = []string{"sys_exit"}
		events = p.syscalls
	}
	s := probes.Snapshot{Time: time.Now(), Counters: probes.Counters{Attempted: events}}
	for _, n := range progs {
		s.Programs = append(s.Programs, probes.ProgramStats{Name: n, AttachPoint: "tp_btf/x", RunCount: p.syscalls, RunTimeNs: p.timeNs / uint64(len(progs))})
	}
	return s, nil
}

func (p *fakeProbes) Detach() error {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	p.detached = true
	return nil
}

func (p *fakeProbes) StartConsumer(probes.ConsumerOptions) (consumer, error) {
	return fakeConsumer{p}, nil
}

type fakeConsumer struct{ p *fakeProbes }

// The fake consumer's thread has used 1 s at Stop; its drain takes
// 0.25 s of the process's CPU.
func (c fakeConsumer) Stop() (probes.ConsumerStats, error) {
	s, _ := c.p.Snapshot()
	c.p.tr.mu.Lock()
	c.p.tr.process += 250 * time.Millisecond
	c.p.tr.mu.Unlock()
	return probes.ConsumerStats{Events: s.Counters.Attempted, Bytes: 40 * s.Counters.Attempted, CPUSeconds: 1}, nil
}

func (p *fakeProbes) Close() error {
	p.tr.mu.Lock()
	defer p.tr.mu.Unlock()
	if !p.closed {
		p.closed = true
		p.tr.openProbes--
		if p.tr.current == p {
			p.tr.current = nil
		}
	}
	return nil
}

// fakeWorkload reports the throughput the fake tracer decides; block,
// when set, makes Run wait for its context.
type fakeWorkload struct {
	tr      *fakeTracer
	block   func() bool
	started chan struct{}
	closed  bool
}

func (w *fakeWorkload) Name() string                      { return "fake" }
func (w *fakeWorkload) Describe() string                  { return "fake workload" }
func (w *fakeWorkload) Prepare(ctx context.Context) error { return ctx.Err() }
func (w *fakeWorkload) Run(ctx context.Context) (workloads.Result, error) {
	if w.block != nil && w.block() {
		if w.started != nil {
			close(w.started)
		}
		<-ctx.Done()
		return workloads.Result{}, fmt.Errorf("killed: %w", ctx.Err())
	}
	t := w.tr.runWorkload()
	return workloads.Result{Throughput: t, Unit: "ops/s", Ops: syscallsPerRun, Wall: time.Millisecond,
		CPUSeconds: 1.5, CPUMethod: results.WorkloadCPUThreads}, nil
}
func (w *fakeWorkload) Close() error {
	w.tr.mu.Lock()
	defer w.tr.mu.Unlock()
	if !w.closed {
		w.closed = true
		w.tr.openWl--
	}
	return nil
}

// recorder is an Observer that keeps what it heard.
type recorder struct {
	mu     sync.Mutex
	plan   Plan
	starts []RunInfo
	ends   []string
	notes  []string
	ended  bool
	onRun  func(RunInfo)
}

func (r *recorder) Begin(p Plan) { r.plan = p }
func (r *recorder) RunStart(i RunInfo) {
	r.mu.Lock()
	r.starts = append(r.starts, i)
	r.mu.Unlock()
	if r.onRun != nil {
		r.onRun(i)
	}
}
func (r *recorder) RunEnd(i RunInfo, run *results.Run) {
	r.ends = append(r.ends, run.Variant+":"+run.Error)
}
func (r *recorder) Note(m string) { r.notes = append(r.notes, m) }
func (r *recorder) End()          { r.ended = true }

const fakeScenario = `name: fake
workload: {type: syscalls, mix: getpid, count: 1000}
sets: {a: [getpid]}
modes: [enter_exit, exit_only]
nostats_sets: [a]
repetitions: 3
warmup: 2
`

func newFakeRunner(t *testing.T, text string, opts RunOptions) (*Runner, *fakeTracer) {
	t.Helper()
	sc := mustParse(t, text)
	r, err := NewRunner(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	tr := newFakeTracer()
	r.tr = tr
	r.clocks = tr.clocks()
	r.newWorkload = func(scenario.WorkloadSpec) (workloads.Workload, error) {
		tr.mu.Lock()
		tr.openWl++
		tr.mu.Unlock()
		return &fakeWorkload{tr: tr}, nil
	}
	return r, tr
}

func checkAllClosed(t *testing.T, tr *fakeTracer) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.openProbes != 0 || tr.openStats != 0 || tr.openWl != 0 {
		t.Errorf("left open: %d probe sets, %d stats handles, %d workloads", tr.openProbes, tr.openStats, tr.openWl)
	}
}

func TestRunnerRounds(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	rec := &recorder{}
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Seed: 42, Output: out, Observer: rec, Version: "v-test", Commit: "abc"})
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkAllClosed(t, tr)
	if !res.Complete || res.Reason != "" {
		t.Errorf("complete %v reason %q", res.Complete, res.Reason)
	}
	wantVariants := []string{"baseline", "baseline_nostats", "floor", "a/enter_exit", "a/exit_only", "a/enter_exit_nostats", "a/exit_only_nostats"}
	if !slices.Equal(names(res.Variants), wantVariants) {
		t.Errorf("variants %v", names(res.Variants))
	}
	nv := len(wantVariants)
	if len(res.Runs) != nv*5 || rec.plan.Runs != nv*5 || len(rec.ends) != nv*5 || !rec.ended {
		t.Fatalf("%d runs (plan %d, %d ended), want %d", len(res.Runs), rec.plan.Runs, len(rec.ends), nv*5)
	}
	// Each round runs every variant once; warm-ups first, negative.
	byRound := map[int][]string{}
	var roundsSeen []int
	for i, run := range res.Runs {
		if len(byRound[run.Round]) == 0 {
			roundsSeen = append(roundsSeen, run.Round)
		}
		if run.Order != len(byRound[run.Round]) {
			t.Errorf("run %d: order %d, want %d", i, run.Order, len(byRound[run.Round]))
		}
		byRound[run.Round] = append(byRound[run.Round], run.Variant)
		if run.Warmup != (run.Round < 0) {
			t.Errorf("run %d: round %d warmup %v", i, run.Round, run.Warmup)
		}
	}
	if !slices.Equal(roundsSeen, []int{-2, -1, 0, 1, 2}) {
		t.Errorf("rounds in order %v, want -2 -1 0 1 2", roundsSeen)
	}
	orders := map[string]bool{}
	for round, vs := range byRound {
		sorted := slices.Clone(vs)
		slices.Sort(sorted)
		want := slices.Clone(wantVariants)
		slices.Sort(want)
		if !slices.Equal(sorted, want) {
			t.Errorf("round %d ran %v", round, vs)
		}
		orders[strings.Join(vs, " ")] = true
	}
	if len(orders) < 2 {
		t.Errorf("every round ran in the same order: not shuffled")
	}
	if len(res.Measured()) != nv*3 {
		t.Errorf("%d measured runs, want %d", len(res.Measured()), nv*3)
	}

	// Figures.
	for _, run := range res.Runs {
		v, _ := res.Variant(run.Variant)
		switch {
		case v.Baseline:
			if len(run.Programs) != 0 || run.Derived.ThroughputChange != nil || run.User.Events != 0 {
				t.Errorf("%s round %d: programs %v change %v events %d", run.Variant, run.Round, run.Programs, run.Derived.ThroughputChange, run.User.Events)
			}
		default:
			if run.Derived.ThroughputChange == nil {
				t.Errorf("%s round %d: no throughput change", run.Variant, run.Round)
				continue
			}
			want := map[probes.Mode]float64{probes.ModeEnterExit: -0.30, probes.ModeExitOnly: -0.15, probes.ModeFloor: -0.05}[v.Mode]
			if got := *run.Derived.ThroughputChange; got < want-1e-9 || got > want+1e-9 {
				t.Errorf("%s: change %v, want %v", run.Variant, got, want)
			}
			wantSyscalls := uint64(syscallsPerRun)
			if !v.Stats {
				wantSyscalls = 0
			}
			if run.Derived.Syscalls != wantSyscalls {
				t.Errorf("%s: %d syscalls, want %d", run.Variant, run.Derived.Syscalls, wantSyscalls)
			}
			if v.Stats != (run.Derived.KernelTimeNs > 0) {
				t.Errorf("%s (stats %v): kernel time %d", run.Variant, v.Stats, run.Derived.KernelTimeNs)
			}
			wantEvents := map[probes.Mode]uint64{probes.ModeEnterExit: 2 * syscallsPerRun, probes.ModeExitOnly: syscallsPerRun}[v.Mode]
			if run.Kernel.Attempted != wantEvents || run.User.Events != wantEvents {
				t.Errorf("%s: attempted %d received %d, want %d", run.Variant, run.Kernel.Attempted, run.User.Events, wantEvents)
			}
		}
	}
	// The file.
	back, err := results.ReadResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Complete || len(back.Runs) != len(res.Runs) || back.Seed != 42 || back.Scenario.Name != "fake" ||
		back.Scenario.Workload != "fake workload" || back.Scenario.Repetitions != 3 || back.Scenario.Warmup != 2 {
		t.Errorf("file: complete %v, %d runs, seed %d, scenario %+v", back.Complete, len(back.Runs), back.Seed, back.Scenario)
	}
	if back.Fingerprint == nil || back.Fingerprint.Total != syscallsPerRun+3 || back.Fingerprint.Syscalls["getpid"] != syscallsPerRun {
		t.Errorf("fingerprint %+v", back.Fingerprint)
	}
	// The built-in generator runs in benchctl's threads: its fingerprint
	// counts benchctl's process, not the whole machine.
	if back.Fingerprint != nil && back.Fingerprint.Scope != results.FingerprintProcess || tr.countOpts != (probes.CountOptions{Pid: os.Getpid()}) {
		t.Errorf("fingerprint counted %+v (scope %q), want this process", tr.countOpts, back.Fingerprint.Scope)
	}
	env := back.Environment
	if env.StatsMethod != "fake" || env.BenchctlVersion != "v-test" || env.BenchctlCommit != "abc" || env.GoVersion == "" || env.CPUs < 1 {
		t.Errorf("environment %+v", env)
	}
	if back.Scenario.Gate["overhead"] != results.DefaultGate["overhead"] {
		t.Errorf("gate %v", back.Scenario.Gate)
	}
}

// TestRunnerStatsFollowTheVariant checks stats are on exactly around the
// runs of variants with stats on, baselines included.
func TestRunnerStatsFollowTheVariant(t *testing.T) {
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Seed: 1})
	var mu sync.Mutex
	type obs struct {
		variant string
		stats   bool
	}
	var seen []obs
	inner := r.newWorkload
	r.newWorkload = func(s scenario.WorkloadSpec) (workloads.Workload, error) {
		w, err := inner(s)
		return &statsProbe{Workload: w, tr: tr, record: func(on bool) {
			mu.Lock()
			seen = append(seen, obs{stats: on})
			mu.Unlock()
		}}, err
	}
	rec := &recorder{}
	r.opts.Observer = rec
	rec.onRun = func(i RunInfo) {
		mu.Lock()
		seen = append(seen, obs{variant: i.Variant})
		mu.Unlock()
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// seen alternates: the fingerprint's run (stats off), then variant, stats-during-run.
	if len(seen) == 0 || seen[0].variant != "" || seen[0].stats {
		t.Fatalf("fingerprint run: %+v", seen[:1])
	}
	for i := 1; i+1 < len(seen); i += 2 {
		v, on := seen[i].variant, seen[i+1].stats
		if want := !strings.HasSuffix(v, results.NoStatsSuffix); on != want {
			t.Errorf("%s ran with stats %v, want %v", v, on, want)
		}
	}
	checkAllClosed(t, tr)
}

type statsProbe struct {
	workloads.Workload
	tr     *fakeTracer
	record func(bool)
}

func (s *statsProbe) Run(ctx context.Context) (workloads.Result, error) {
	s.tr.mu.Lock()
	on := s.tr.openStats > 0
	s.tr.mu.Unlock()
	s.record(on)
	return s.Workload.Run(ctx)
}

func TestRunnerSeedReproducesOrder(t *testing.T) {
	order := func(seed int64) string {
		r, _ := newFakeRunner(t, fakeScenario, RunOptions{Seed: seed})
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, run := range res.Runs {
			b.WriteString(run.Variant + " ")
		}
		return b.String()
	}
	if order(7) != order(7) {
		t.Error("the same seed gave two orders")
	}
	if order(7) == order(8) {
		t.Error("two seeds gave the same order")
	}
}

func TestRunnerOnly(t *testing.T) {
	r, _ := newFakeRunner(t, fakeScenario, RunOptions{Only: []string{"a/exit_only_nostats"}})
	if got := names(r.Variants()); !slices.Equal(got, []string{"baseline", "baseline_nostats", "a/exit_only_nostats"}) {
		t.Errorf("variants %v", got)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range res.Runs {
		if run.Variant == "a/exit_only_nostats" && run.Derived.ThroughputChange == nil {
			t.Errorf("round %d: no change against baseline_nostats", run.Round)
		}
	}
	if _, err := NewRunner(mustParse(t, fakeScenario), RunOptions{Only: []string{"nosuch"}}); err == nil {
		t.Error("--only nosuch accepted")
	}
}

func TestRunnerCancelWritesIncompleteResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Seed: 3, Output: out, Observer: rec})
	started := make(chan struct{})
	n := 0
	inner := r.newWorkload
	r.newWorkload = func(s scenario.WorkloadSpec) (workloads.Workload, error) {
		w, err := inner(s)
		fw := w.(*fakeWorkload)
		n++
		if n == 10 { // 1: describing it, 2: the fingerprint, 3: run 0, ..., 10: run 7
			fw.block = func() bool { return true }
			fw.started = started
		}
		return fw, err
	}
	go func() {
		<-started
		// Probes are attached (unless it is a baseline run) and the workload runs.
		cancel()
	}()
	res, err := r.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrRunFailed) {
		t.Error("an interruption is not a failed run")
	}
	checkAllClosed(t, tr)
	back, rerr := results.ReadResults(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if back.Complete || !strings.Contains(back.Reason, "interrupted after 7 of 35 runs") {
		t.Errorf("complete %v reason %q", back.Complete, back.Reason)
	}
	if len(back.Runs) != 7 || len(res.Runs) != 7 {
		t.Errorf("%d runs in the file, %d returned, want the 7 finished", len(back.Runs), len(res.Runs))
	}
	for _, run := range back.Runs {
		if run.Error != "" {
			t.Errorf("kept run with error %q", run.Error)
		}
	}
}

func TestRunnerFailingRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Seed: 3, Output: out})
	boom := errors.New("verifier said no")
	tr.loadErr = func(n int, cfg probes.Config) error {
		if n == 4 {
			return boom
		}
		return nil
	}
	res, err := r.Run(context.Background())
	if !errors.Is(err, boom) || !errors.Is(err, ErrRunFailed) {
		t.Fatalf("err = %v, want the load error and ErrRunFailed", err)
	}
	checkAllClosed(t, tr)
	back, rerr := results.ReadResults(out)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if back.Complete || !strings.Contains(back.Reason, "verifier said no") {
		t.Errorf("complete %v reason %q", back.Complete, back.Reason)
	}
	last := back.Runs[len(back.Runs)-1]
	if !strings.Contains(last.Error, "loading probes: verifier said no") {
		t.Errorf("last run error %q", last.Error)
	}
	if len(res.Runs) != len(back.Runs) {
		t.Errorf("%d runs returned, %d in the file", len(res.Runs), len(back.Runs))
	}
}

func TestRunnerEnvironmentErrors(t *testing.T) {
	for _, e := range []error{probes.ErrPermission, probes.ErrNoBTF} {
		r, tr := newFakeRunner(t, fakeScenario, RunOptions{})
		tr.countErr = fmt.Errorf("loading: %w", e)
		_, err := r.Run(context.Background())
		if !errors.Is(err, e) {
			t.Errorf("err = %v, want %v", err, e)
		}
		checkAllClosed(t, tr)
	}
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{})
	tr.loadErr = func(int, probes.Config) error { return fmt.Errorf("attaching: %w", probes.ErrPermission) }
	if _, err := r.Run(context.Background()); !errors.Is(err, probes.ErrPermission) {
		t.Errorf("err = %v, want ErrPermission", err)
	}
	// A missing workload program stops the run before anything is measured.
	r, _ = newFakeRunner(t, fakeScenario, RunOptions{})
	r.newWorkload = func(scenario.WorkloadSpec) (workloads.Workload, error) {
		return nil, fmt.Errorf("finding redis-server: %w", workloads.ErrMissingBinary)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	r.opts.Output = out
	res, err := r.Run(context.Background())
	if !errors.Is(err, workloads.ErrMissingBinary) || len(res.Runs) != 0 {
		t.Errorf("err = %v, %d runs", err, len(res.Runs))
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a run that measured nothing left %s behind (%v)", out, err)
	}
}

func TestRunnerFingerprintFailureIsAWarning(t *testing.T) {
	rec := &recorder{}
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Observer: rec})
	tr.countErr = errors.New("no counting today")
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Fingerprint != nil {
		t.Errorf("fingerprint %+v", res.Fingerprint)
	}
	found := false
	for _, n := range rec.notes {
		found = found || strings.Contains(n, "warning: no syscall fingerprint: no counting today")
	}
	if !found {
		t.Errorf("notes %q lack the warning", rec.notes)
	}
}

func TestRunnerCheckpoints(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	rec := &recorder{}
	r, _ := newFakeRunner(t, fakeScenario, RunOptions{Output: out, Observer: rec})
	var checked []int
	rec.onRun = func(i RunInfo) {
		if i.Index == 0 {
			// Nothing is written before the first run ends.
			if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("before run 0: %v, want no file", err)
			}
			checked = append(checked, i.Index)
		}
		if i.Index == 5 {
			back, err := results.ReadResults(out)
			if err != nil {
				t.Errorf("no checkpoint before run %d: %v", i.Index, err)
				return
			}
			if back.Complete || len(back.Runs) != i.Index || !strings.Contains(back.Reason, "checkpoint") {
				t.Errorf("checkpoint before run %d: complete %v, %d runs, reason %q", i.Index, back.Complete, len(back.Runs), back.Reason)
			}
			checked = append(checked, i.Index)
		}
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(checked) != 2 {
		t.Errorf("checked %v", checked)
	}
}

func TestRunnerAbortClosesEverything(t *testing.T) {
	r, tr := newFakeRunner(t, fakeScenario, RunOptions{Only: []string{"a/enter_exit"}, Seed: 1})
	started := make(chan struct{})
	n := 0
	inner := r.newWorkload
	r.newWorkload = func(s scenario.WorkloadSpec) (workloads.Workload, error) {
		w, err := inner(s)
		fw := w.(*fakeWorkload)
		n++
		if n == 4 { // run 1
			fw.block = func() bool { return true }
			fw.started = started
		}
		return fw, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	<-started
	r.Abort()
	tr.mu.Lock()
	open := tr.openWl
	tr.mu.Unlock()
	if open != 0 {
		t.Errorf("%d workloads open after Abort", open)
	}
	cancel()
	<-done
	checkAllClosed(t, tr)
}

func TestFingerprintLine(t *testing.T) {
	fp := &results.Fingerprint{Total: 1600, Syscalls: map[string]uint64{"read": 500, "write": 1000, "close": 100}}
	if got, want := fingerprintLine(fp, 2), "1.6k syscalls, write 1.0k, read 500, ..."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRunnerCancelBeforeAnyRunWritesNothing: interrupted before its
// first run ended, a run writes no results file, and leaves one that was
// there (run --force) byte-identical.
func TestRunnerCancelBeforeAnyRunWritesNothing(t *testing.T) {
	for _, old := range []string{"", "{\"schema\": 3}\n"} {
		out := filepath.Join(t.TempDir(), "r.json")
		if old != "" {
			os.WriteFile(out, []byte(old), 0o644)
		}
		r, tr := newFakeRunner(t, fakeScenario, RunOptions{Output: out})
		ctx, cancel := context.WithCancel(context.Background())
		inner := r.newWorkload
		n := 0
		r.newWorkload = func(s scenario.WorkloadSpec) (workloads.Workload, error) {
			w, err := inner(s)
			n++
			if n == 2 { // the fingerprint's
				started := make(chan struct{})
				w.(*fakeWorkload).block = func() bool { return true }
				w.(*fakeWorkload).started = started
				go func() { <-started; cancel() }()
			}
			return w, err
		}
		res, err := r.Run(ctx)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		checkAllClosed(t, tr)
		if res.Complete || !strings.Contains(res.Reason, "interrupted after 0 of 35 runs") {
			t.Errorf("complete %v, reason %q", res.Complete, res.Reason)
		}
		got, rerr := os.ReadFile(out)
		switch {
		case old == "" && !errors.Is(rerr, os.ErrNotExist):
			t.Errorf("no file before: now %q (%v), want none", got, rerr)
		case old != "" && string(got) != old:
			t.Errorf("a file before: now %q (%v), want it as it was", got, rerr)
		}
		if r.Saved() {
			t.Error("Saved() after writing nothing")
		}
	}
}

// TestRunnerOwnTracerCPUWindow: benchctl's own tracer CPU is its whole
// process's from the start of the workload to the end of the consumer's
// drain, as an external tracer's runs to its exit, less the generator's
// threads and the noise meter's reading: 2 s of the workload run + 50 ms
// of the noise meter + 0.25 s of the drain − 1.5 s of the generator's
// threads − the 50 ms of the noise meter = 0.75 s. The consumer's own
// figure (1 s, its thread's whole life) stays apart.
func TestRunnerOwnTracerCPUWindow(t *testing.T) {
	r, _ := newFakeRunner(t, fakeScenario, RunOptions{Seed: 1})
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, run := range res.RunsOf("a/exit_only") {
		n++
		if run.Tracer == nil || math.Abs(run.Tracer.CPUSeconds-0.75) > 1e-9 || run.Tracer.CPUWindow != results.CPUWindowWorkloadToDrain ||
			run.Tracer.CPUMethod != results.TracerCPUProcess {
			t.Errorf("round %d: tracer %+v, want 0.75 s over %s by %s", run.Round, run.Tracer, results.CPUWindowWorkloadToDrain, results.TracerCPUProcess)
		}
		// 1.5 s of the workload and 0.75 s of the tracer over 1000 ops.
		if d := run.Derived; math.Abs(d.WorkloadCPUNsPerOp-1.5e6) > 1e-3 || math.Abs(d.TracerCPUNsPerOp-0.75e6) > 1e-3 || math.Abs(d.CPUNsPerOp-2.25e6) > 1e-3 {
			t.Errorf("round %d: CPU per op: workload %v, tracer %v, both %v ns; want 1.5e6, 0.75e6, 2.25e6", run.Round, d.WorkloadCPUNsPerOp, d.TracerCPUNsPerOp, d.CPUNsPerOp)
		}
		// The baseline's CPU per op is its workload's 1.5e6 ns alone.
		if c := run.Derived.CPUPerOpChange; c == nil || math.Abs(*c-0.5) > 1e-9 {
			t.Errorf("round %d: CPU per op change %v, want +50%%", run.Round, fmtPtr(c))
		}
		if run.User.CPUSeconds != 1 {
			t.Errorf("round %d: consumer CPU %v, want its whole 1 s", run.Round, run.User.CPUSeconds)
		}
		// benchctl's own memory: its process's, sampled over the run.
		if tr := run.Tracer; tr == nil || tr.PeakMemoryBytes == 0 || (tr.MemoryMethod != results.MemoryProcessHWM && tr.MemoryMethod != results.MemoryProcessHWMLife) ||
			tr.MeanMemoryBytes == 0 || tr.MeanMemoryBytes > tr.PeakMemoryBytes || tr.MemorySamples < 1 || tr.ResidentMethod != "VmRSS" {
			t.Errorf("round %d: benchctl's memory %+v", run.Round, run.Tracer)
		}
	}
	if n == 0 {
		t.Fatal("no run of a/exit_only")
	}
}

// mustParse parses a scenario held in yamlText, failing the test on an error.
func mustParse(t *testing.T, yamlText string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.ParseBytes("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("parsing:\n%v", err)
	}
	return sc
}

func names(vs []results.Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// fmtPtr formats *p, or nil.
func fmtPtr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
