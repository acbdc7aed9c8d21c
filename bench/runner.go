package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/bench/noise"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/workloads"
)

// RunOptions configure a Runner. Repetitions and warm-up rounds come from
// the Scenario: set its fields to override them.
type RunOptions struct {
	// Only keeps the variants matching these names or patterns (see Select).
	Only []string
	// Seed seeds the shuffle of the variants inside each round.
	Seed int64
	// Version and Commit describe this benchctl in the environment.
	Version, Commit string
	// Output, when set, is the results file: written after every run
	// (marked incomplete) and at the end. Nothing is written before the
	// first run ends, so a run that fails or is interrupted before that
	// leaves the path as it was; the runner never removes it.
	Output string
	// Observer hears progress; nil is silent.
	Observer Observer
	// Set holds the --set values the scenario was parsed with, recorded
	// in the results' provenance (secrets redacted).
	Set map[string]string
	// Strict refuses to measure while BPF programs that are not the
	// run's own are attached to the syscall tracepoints (see
	// ErrForeignPrograms); without it they are recorded and warned about.
	Strict bool
	// Noise, when set, are the thresholds runs are flagged by, in the
	// notes and in the results returned; nil: results.DefaultNoise.
	Noise *results.NoiseThresholds
}

// ErrForeignPrograms is returned (wrapped) by Run with RunOptions.Strict
// when BPF programs of someone else are attached to the syscall
// tracepoints before a run.
var ErrForeignPrograms = errors.New("foreign BPF programs on the syscall tracepoints")

// Runner measures a scenario: every variant once per round, in a shuffled
// order, warm-up rounds first.
type Runner struct {
	sc       *scenario.Scenario
	opts     RunOptions
	variants []results.Variant

	// What the runner measures with; tests replace them.
	tr          tracer
	newWorkload func(scenario.WorkloadSpec) (workloads.Workload, error)
	// listForeign lists the programs on the syscall tracepoints
	// (probes.SyscallPrograms; links: the link iterator too, which the
	// runner asks for before its first run only).
	listForeign func(links bool) ([]results.ForeignProgram, error)
	listed      bool

	// capacityThreads are the generator's threads in capacity steps.
	capacityThreads int

	// clocks read CPU time; tests replace them.
	clocks cpuClocks

	// red takes the secrets out of everything the runner writes,
	// returns and says (see redact.go).
	red redactor

	mu     sync.Mutex
	active map[int]io.Closer
	nextID int

	// saved is set once the runner has written Output.
	saved atomic.Bool
}

// NewRunner expands the scenario and applies opts.Only.
func NewRunner(sc *scenario.Scenario, opts RunOptions) (*Runner, error) {
	all, err := sc.Expand()
	if err != nil {
		return nil, err
	}
	vs, err := scenario.Select(all, opts.Only)
	if err != nil {
		return nil, err
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	red := newRedactor(opts.Set, os.Environ())
	opts.Observer = redactingObserver{Observer: opts.Observer, red: red}
	return &Runner{
		red:         red,
		sc:          sc,
		opts:        opts,
		variants:    vs,
		tr:          realTracer{},
		newWorkload: scenario.WorkloadSpec.New,
		listForeign: probes.SyscallPrograms,
		clocks:      realClocks,
		active:      map[int]io.Closer{},
	}, nil
}

// Variants are the variants the runner measures, in scenario order.
func (r *Runner) Variants() []results.Variant { return r.variants }

// ErrRunFailed is wrapped by Run's error when a run failed (as opposed
// to being interrupted, which wraps the context's error).
var ErrRunFailed = errors.New("run failed")

// Run measures the scenario. It returns the results even when it fails or
// ctx is cancelled: then Complete is false, Reason says why, and the runs
// finished so far are kept (and written to Output). Every probe and
// workload is closed before Run returns. The values of secrets (see
// redactor) are out of the results, the error and the notes.
func (r *Runner) Run(ctx context.Context) (*results.Results, error) {
	res, err := r.run(ctx)
	r.red.redactResults(res)
	return res, r.red.redactErr(err)
}

// Redact takes the values of secrets out of s, as Run does out of what
// it writes: for what a caller prints about the run.
func (r *Runner) Redact(s string) string { return r.red.value(s) }

func (r *Runner) run(ctx context.Context) (*results.Results, error) {
	sc := r.sc
	res := r.newResults()
	total := len(r.variants) * (sc.Repetitions + sc.Warmup)
	_, perRun, _ := sc.Estimate(len(r.variants), sc.Repetitions, sc.Warmup)
	obs := r.opts.Observer
	obs.Begin(Plan{Variants: len(r.variants), Rounds: sc.Repetitions, Warmup: sc.Warmup, Runs: total, PerRun: perRun})
	defer obs.End()

	fp, err := r.fingerprint(ctx)
	if err != nil {
		return r.fail(ctx, res, total, err)
	}
	res.Fingerprint = fp

	if sc.Auto != nil {
		res.Scenario.Auto = &results.AutoOutcome{AutoRepetitions: *sc.Auto}
	}
	rng := rand.New(rand.NewPCG(uint64(r.opts.Seed), 0x62656e6368637463))
	index := 0
	for round := -sc.Warmup; round < sc.Repetitions; round++ {
		order := rng.Perm(len(r.variants))
		for pos, vi := range order {
			if ctx.Err() != nil {
				return r.fail(ctx, res, total, ctx.Err())
			}
			if err := r.measure(ctx, res, r.variants[vi], round, pos, &index, total); err != nil {
				return r.fail(ctx, res, total, err)
			}
		}
		if r.autoEnough(res, round) {
			break
		}
	}
	res.Complete = true
	res.Reason = ""
	res.Finished = time.Now().UTC()
	results.Derive(res)
	if err := r.save(res); err != nil {
		return res, err
	}
	return res, nil
}

// newResults is the results file of a run of the scenario, before its
// first run.
func (r *Runner) newResults() *results.Results {
	sc := r.sc
	res := &results.Results{
		Schema: results.SchemaVersion,
		Scenario: results.ScenarioInfo{
			Name:        sc.Name,
			File:        sc.File,
			SHA256:      sc.SHA256,
			Workload:    r.describeWorkload(),
			Repetitions: sc.Repetitions,
			Warmup:      sc.Warmup,
			Gate:        sc.Gate,
			Noise:       sc.Noise,
		},
		Environment: CollectEnvironment(r.opts.Version, r.opts.Commit),
		Seed:        r.opts.Seed,
		Started:     time.Now().UTC(),
		Variants:    r.variants,
		Runs:        []results.Run{},
		Provenance:  collectProvenance(sc, r.variants, r.opts.Set),
	}
	res.Environment.StatsMethod = "off"
	if r.opts.Noise != nil {
		res.SetNoiseThresholds(*r.opts.Noise)
	}
	return res
}

// fail ends the run with err: the results are marked incomplete with the
// reason (interrupted, when ctx is done and err is not a failed run's),
// and saved.
func (r *Runner) fail(ctx context.Context, res *results.Results, total int, err error) (*results.Results, error) {
	res.Complete = false
	interrupted := ctx.Err() != nil && !errors.Is(err, ErrRunFailed)
	if interrupted {
		res.Reason = fmt.Sprintf("interrupted after %d of %d runs: %v", len(res.Runs), total, context.Cause(ctx))
		err = fmt.Errorf("interrupted after %d of %d runs: %w", len(res.Runs), total, ctx.Err())
	} else {
		res.Reason = err.Error()
	}
	res.Finished = time.Now().UTC()
	results.Derive(res)
	if werr := r.save(res); werr != nil {
		err = errors.Join(err, werr)
	}
	return res, err
}

// measure makes the run of v in round at position pos of the round's
// order, the *index-th of total: checks for foreign programs first,
// records the run (a failed one too), and writes a checkpoint. An error
// ends the scenario: an interrupted run (not kept), a run whose failure
// stops everything, or a checkpoint not written.
func (r *Runner) measure(ctx context.Context, res *results.Results, v results.Variant, round, pos int, index *int, total int) error {
	obs := r.opts.Observer
	info := RunInfo{Index: *index, Variant: v.Name, Round: round, Warmup: round < 0}
	foreign, ferr := r.checkForeign(v, round)
	if ferr != nil {
		return ferr
	}
	obs.RunStart(info)
	run, method, err := r.runOne(ctx, v)
	run.Variant, run.Round, run.Warmup, run.Order = v.Name, round, round < 0, pos
	run.Foreign = foreign
	if method != "" {
		res.Environment.StatsMethod = method
	}
	if err != nil {
		if ctx.Err() != nil {
			return err // the interrupted run is not kept
		}
		run.Error = err.Error()
		r.record(res, info, &run)
		if (!v.External() && !refused(run) && !errors.Is(err, workloads.ErrNotFinite)) || isEnvironmentError(err) || errors.Is(err, probes.ErrStillLoaded) {
			return fmt.Errorf("%w: %s (round %d): %w", ErrRunFailed, v.Name, round, err)
		}
		// An external tracer that fails (exits early, never gets
		// ready, dies mid-run), probes the kernel refuses, or a NaN or
		// infinity in the output of the workload or of a tracer's
		// counters fail their run only; the others go on.
		obs.Note(fmt.Sprintf("warning: %s (round %d) failed: %v", v.Name, round, err))
	} else {
		r.record(res, info, &run)
		if f := run.Noise.Flags(res.NoiseThresholds()); len(f) > 0 {
			obs.Note(fmt.Sprintf("noisy: %s (round %d): %s", v.Name, round, strings.Join(f, ", ")))
		}
	}
	*index++
	return r.checkpoint(res, *index, total)
}

// record adds run, its secrets taken out, to res, and tells the observer.
func (r *Runner) record(res *results.Results, info RunInfo, run *results.Run) {
	r.red.redactRun(run)
	res.Runs = append(res.Runs, *run)
	results.Derive(res)
	r.opts.Observer.RunEnd(info, &res.Runs[len(res.Runs)-1])
}

// autoEnough tells, with repetitions: auto, whether the measured rounds up
// to round are enough (every gated interval narrow enough), and notes how
// far the intervals are.
func (r *Runner) autoEnough(res *results.Results, round int) bool {
	a := res.Scenario.Auto
	if a == nil || round < 0 {
		return false
	}
	obs := r.opts.Observer
	a.Rounds = round + 1
	narrow, widest := autoDone(res, a.AutoRepetitions, r.sc.Gate, a.Rounds)
	a.Narrow, a.Widest = narrow, widest
	switch {
	case narrow:
		obs.Note(fmt.Sprintf("repetitions auto: every gated interval is narrow enough after %d rounds; stopping", a.Rounds))
		return true
	case a.Rounds >= a.Min && widest != nil && a.Rounds < a.Max:
		obs.Note(fmt.Sprintf("repetitions auto: round %d of at most %d; widest: %s", a.Rounds, a.Max, widest))
	case a.Rounds >= a.Max && widest != nil:
		obs.Note(fmt.Sprintf("repetitions auto: maximum of %d rounds reached; widest: %s", a.Max, widest))
	}
	return false
}

// checkForeign lists the programs attached to the syscall tracepoints
// before a run of v: every one is someone else's, since the run's own
// are not attached yet and the previous run's are gone (an external
// tracer's objects are waited for; a run whose stay loaded stops the
// scenario). Before the first run the link iterator looks for links no
// process holds too; later only processes' descriptors are read, which
// opens nothing. They are returned to be recorded with the run, and warned
// about; with Strict they stop the scenario. A listing that fails is
// warned about once and not retried.
func (r *Runner) checkForeign(v results.Variant, round int) ([]results.ForeignProgram, error) {
	if r.listForeign == nil {
		return nil, nil
	}
	foreign, err := r.listForeign(!r.listed)
	r.listed = true
	if err != nil {
		r.opts.Observer.Note(fmt.Sprintf("warning: cannot list the programs on the syscall tracepoints: %v; foreign programs are not checked", err))
		if len(foreign) == 0 {
			r.listForeign = nil
			return nil, nil
		}
	}
	if len(foreign) == 0 {
		return nil, nil
	}
	var parts []string
	for _, f := range foreign {
		parts = append(parts, f.String())
	}
	if r.opts.Strict {
		return foreign, fmt.Errorf("%w before %s (round %d): %s (--strict)", ErrForeignPrograms, v.Name, round, strings.Join(parts, "; "))
	}
	r.opts.Observer.Note(fmt.Sprintf("warning: %d foreign BPF program(s) on the syscall tracepoints before %s (round %d), slowing every variant alike: %s",
		len(foreign), v.Name, round, strings.Join(parts, "; ")))
	return foreign, nil
}

// checkpoint writes what is done so far, marked incomplete, so even a
// killed benchctl leaves its finished runs behind.
func (r *Runner) checkpoint(res *results.Results, done, total int) error {
	res.Complete = false
	res.Reason = fmt.Sprintf("checkpoint after %d of %d runs: benchctl was still running, or was killed", done, total)
	return r.save(res)
}

// save writes res to Output once it holds something measured: a run
// (failed ones too) or a capacity step. Until then nothing is written:
// a run that fails or is interrupted before its first run ends leaves
// the path as it was, with no empty results file where there was none
// and an existing file (run --force) byte-identical. The runner removes
// nothing.
func (r *Runner) save(res *results.Results) error {
	r.red.redactResults(res)
	if r.opts.Output == "" || !holdsMeasurements(res) {
		return nil
	}
	if err := res.Write(r.opts.Output); err != nil {
		return err
	}
	r.saved.Store(true)
	return nil
}

// holdsMeasurements says whether res holds a run or a capacity step.
func holdsMeasurements(res *results.Results) bool {
	if len(res.Runs) > 0 {
		return true
	}
	for _, c := range res.Capacity {
		if len(c.Steps) > 0 {
			return true
		}
	}
	return false
}

// Saved says whether the runner has written RunOptions.Output: a run
// that ended before its first run did not. It may be called from any
// goroutine.
func (r *Runner) Saved() bool { return r.saved.Load() }

func (r *Runner) describeWorkload() string {
	if wl, err := r.newWorkload(r.sc.Workload); err == nil {
		defer wl.Close()
		if d, ok := wl.(interface{ Describe() string }); ok {
			return d.Describe()
		}
	}
	return r.sc.Workload.Describe()
}

// fingerprint counts the syscalls of one extra, unmeasured workload run.
// Failing to count is only a warning, unless the environment cannot run
// probes at all or the workload itself fails.
func (r *Runner) fingerprint(ctx context.Context) (*results.Fingerprint, error) {
	wl, err := r.newWorkload(r.sc.Workload)
	if err != nil {
		return nil, fmt.Errorf("creating workload: %w", err)
	}
	defer r.track(wl)()
	defer wl.Close()
	r.opts.Observer.Note("fingerprint: counting the syscalls of one unmeasured workload run")
	if err := wl.Prepare(ctx); err != nil {
		return nil, fmt.Errorf("preparing workload: %w", err)
	}
	// Count the workload's syscalls only: its cgroup's, or for the
	// built-in generator, whose threads are benchctl's, this process's.
	var opts probes.CountOptions
	scope := results.FingerprintMachine
	var cg *workloads.Cgroup
	if c, ok := wl.(interface{ Cgroup() *workloads.Cgroup }); ok {
		cg = c.Cgroup()
	}
	switch {
	case cg != nil:
		opts.CgroupFD, scope = cg.FD(), results.FingerprintCgroup
	case r.sc.Workload.Type == "syscalls":
		opts.Pid, scope = os.Getpid(), results.FingerprintProcess
	}
	if scope == results.FingerprintMachine {
		r.opts.Observer.Note("warning: the workload has no cgroup: the syscall fingerprint counts the whole machine's syscalls")
	}
	var runErr error
	counts, err := r.tr.CountSyscalls(ctx, opts, func(ctx context.Context) error {
		_, runErr = wl.Run(ctx)
		return runErr
	})
	if runErr != nil {
		return nil, fmt.Errorf("running workload: %w", runErr)
	}
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, probes.ErrPermission) || errors.Is(err, probes.ErrNoBTF) {
			return nil, fmt.Errorf("counting syscalls: %w", err)
		}
		r.opts.Observer.Note(fmt.Sprintf("warning: no syscall fingerprint: %v", err))
		return nil, nil
	}
	fp := &results.Fingerprint{Syscalls: counts, Scope: scope}
	for _, n := range counts {
		fp.Total += n
	}
	r.opts.Observer.Note("fingerprint: " + fingerprintLine(fp, 8))
	return fp, nil
}

// fingerprintLine names the n most frequent syscalls of fp.
func fingerprintLine(fp *results.Fingerprint, n int) string {
	type kv struct {
		name  string
		count uint64
	}
	var all []kv
	for k, v := range fp.Syscalls {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].count != all[j].count {
			return all[i].count > all[j].count
		}
		return all[i].name < all[j].name
	})
	s := fmt.Sprintf("%s syscalls", numfmt.Short(float64(fp.Total)))
	for i, e := range all {
		if i == n {
			s += ", ..."
			break
		}
		s += fmt.Sprintf(", %s %s", e.name, numfmt.Short(float64(e.count)))
	}
	return s
}

// runOne measures one run of v: prepare the workload, load and attach the
// probes, start the consumer, enable stats, snapshot, run the workload,
// detach, snapshot, disable stats, drain and stop the consumer, unload,
// close the workload. method is the stats method used, when stats were on.
func (r *Runner) runOne(ctx context.Context, v results.Variant) (run results.Run, method string, err error) {
	wl, err := r.newWorkload(r.sc.Workload)
	if err != nil {
		return run, "", fmt.Errorf("creating workload: %w", err)
	}
	defer r.track(wl)()
	defer closeInto(wl, "closing workload", &err)
	if err := wl.Prepare(ctx); err != nil {
		return run, "", fmt.Errorf("preparing workload: %w", err)
	}
	if v.External() {
		return r.runExternal(ctx, v, wl)
	}

	// o.cons and o.stats are set to nil once measureOwn stopped them.
	var o ownRun
	if !v.Baseline {
		o.ps, err = r.loadProbes(v, &run)
		if err != nil {
			return run, "", err
		}
		defer r.track(o.ps)()
		defer closeInto(o.ps, "detaching probes", &err)
		o.cons, err = startConsumer(o.ps, v)
		if err != nil {
			return run, "", err
		}
		defer func() {
			if o.cons != nil {
				o.cons.Stop()
			}
		}()
		o.own = ownTracerStats(probes.ConsumerStats{})
	}
	if o.cons != nil {
		o.self = workloads.StartSelfMemory()
		defer o.self.Stop()
	}

	if v.Stats {
		o.stats, method, err = r.tr.EnableStats()
		if err != nil {
			return run, "", fmt.Errorf("enabling program stats: %w", err)
		}
		defer r.track(o.stats)()
		defer func() {
			if o.stats != nil {
				o.stats.Close()
			}
		}()
	}
	err = r.measureOwn(ctx, wl, &o, &run)
	return run, method, err
}

// ownRun is what a run of benchctl's own probes holds: nil when the
// variant has none (the baseline), or stats are off.
type ownRun struct {
	ps    probeSet
	cons  consumer
	stats io.Closer
	own   *results.TracerStats
	self  *workloads.SelfMemory
}

// loadProbes loads and attaches v's probes, recording their load cost in
// run, or the kernel's refusal.
func (r *Runner) loadProbes(v results.Variant, run *results.Run) (probeSet, error) {
	ps, err := r.tr.Load(probes.Config{Mode: v.Mode, TOCTOU: v.TOCTOU, Syscalls: v.Syscalls, RingSize: v.RingSize, Snaplen: v.Snaplen, Step: v.ProbeStep(), Reserve: v.Reserve})
	if err != nil {
		if f := probes.Classify(err); f != nil {
			run.Load = &results.Load{Refusal: f}
		}
		return nil, fmt.Errorf("loading probes: %w", err)
	}
	if lc, ok := ps.(interface{ LoadCost() *results.Load }); ok {
		run.Load = lc.LoadCost()
	}
	return ps, nil
}

// startConsumer starts the consumer of ps as v wants it: counting events,
// or decoding them, at the consumer cost v sets.
func startConsumer(ps probeSet, v results.Variant) (consumer, error) {
	var copts probes.ConsumerOptions
	if v.Step == results.StepDecode {
		// Decode every event and drop it: what a tracer's userspace
		// does at the least, against the default's counting.
		copts.OnEvent = func(syscalls.Event) {}
	}
	if v.Consumer != nil {
		copts.Cost = *v.Consumer
	}
	cons, err := ps.StartConsumer(copts)
	if err != nil {
		return nil, fmt.Errorf("starting consumer: %w", err)
	}
	return cons, nil
}

// measureOwn runs the workload under o: snapshot, run, detach, snapshot,
// disable stats, drain and stop the consumer, recording into run.
func (r *Runner) measureOwn(ctx context.Context, wl workloads.Workload, o *ownRun, run *results.Run) error {
	// Noise readings go outside the program-stats window, so that their
	// own syscalls do not count (see noise.Meter).
	meter := startNoise(workloadCgroups(wl)...)
	var before probes.Snapshot
	var err error
	if o.ps != nil {
		if before, err = o.ps.Snapshot(); err != nil {
			return fmt.Errorf("reading program stats: %w", err)
		}
	}
	var process0 time.Duration
	if o.cons != nil {
		process0 = r.clocks.process()
	}
	run.Start = time.Now().UTC()
	result, runErr := wl.Run(ctx)
	run.Wall = time.Since(run.Start)
	run.Workload = result
	if o.ps != nil {
		// Detach first, so that nothing is counted after the snapshot
		// and the drained events add up to the attempted ones.
		if err := o.ps.Detach(); err != nil && runErr == nil {
			return fmt.Errorf("detaching probes: %w", err)
		}
		after, err := o.ps.Snapshot()
		if err != nil && runErr == nil {
			return fmt.Errorf("reading program stats: %w", err)
		}
		// Program stats are what the workload cost (the delta); the
		// counters cover the whole attachment, as the consumer does, so
		// received + dropped = attempted holds exactly.
		run.Programs, run.Kernel = after.Sub(before).Programs, after.Counters
	}
	var noiseCPU time.Duration
	run.Noise, noiseCPU = r.endNoise(meter)
	if o.stats != nil {
		err := o.stats.Close()
		o.stats = nil
		if err != nil && runErr == nil {
			return fmt.Errorf("disabling program stats: %w", err)
		}
	}
	if o.cons != nil {
		if err := r.stopConsumer(o, run, process0, noiseCPU, runErr != nil); err != nil {
			return err
		}
	}
	if runErr != nil {
		return fmt.Errorf("running workload: %w", runErr)
	}
	return nil
}

// stopConsumer drains and stops o's consumer, and records what it
// received and what benchctl's process spent as a tracer since process0
// (the process CPU clock when the workload started), less the noise
// meter's noiseCPU. A consumer that fails to stop fails the run, unless
// the workload failed already (failed): then what it holds is recorded.
func (r *Runner) stopConsumer(o *ownRun, run *results.Run, process0, noiseCPU time.Duration, failed bool) error {
	user, err := o.cons.Stop()
	o.cons = nil
	selfMem := o.self.Stop()
	if err != nil && !failed {
		return fmt.Errorf("stopping consumer: %w", err)
	}
	run.User = user
	if own := o.own; own != nil {
		// From the start of the workload to the end of the drain, as an
		// external tracer's: benchctl's whole process (the consumer, the
		// Go runtime's threads, the garbage collector), less what was
		// not the tracer's in it: the built-in generator's threads and
		// the noise meter's reading. The consumer's stats keep its
		// thread's whole life.
		used := r.clocks.process() - process0 - noiseCPU
		if run.Workload.CPUMethod == results.WorkloadCPUThreads {
			used -= time.Duration(run.Workload.CPUSeconds * 1e9)
		}
		own.CPUSeconds = max(0, used.Seconds())
		own.CPUWindow = results.CPUWindowWorkloadToDrain
		own.CPUMethod = results.TracerCPUProcess
		setSelfMemory(own, selfMem)
		run.Tracer = own
	}
	return nil
}

// cpuClocks read CPU time: process is benchctl's whole process's (every
// thread, exited ones included), thread the calling thread's.
type cpuClocks struct {
	process, thread func() time.Duration
}

var realClocks = cpuClocks{
	process: func() time.Duration { return clock(unix.CLOCK_PROCESS_CPUTIME_ID) },
	thread:  func() time.Duration { return clock(unix.CLOCK_THREAD_CPUTIME_ID) },
}

func clock(id int32) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// startNoise starts the noise meter of a run over cgroups, with this
// kernel's CPU accounting.
func startNoise(cgroups ...noise.Cgroup) *noise.Meter {
	return noise.Start(strings.Contains(CPUAccounting(), "irq"), cgroups...)
}

// endNoise ends the noise meter on a thread of its own, and returns what
// that reading cost in CPU time (it reads every process's stat in /proc):
// benchctl's, but not its tracer's.
func (r *Runner) endNoise(m *noise.Meter) (*results.Noise, time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := r.clocks.thread()
	n := m.End()
	return n, r.clocks.thread() - t0
}

// workloadCgroups is the cgroup wl's processes run in, for the noise
// meter: none for the built-in generator (its threads are benchctl's) or
// where there can be none.
func workloadCgroups(wl workloads.Workload) []noise.Cgroup {
	if c, ok := wl.(interface{ Cgroup() *workloads.Cgroup }); ok {
		if cg := c.Cgroup(); cg != nil {
			return []noise.Cgroup{cg}
		}
	}
	return nil
}

// closeInto closes c and, when *err is nil, reports its error there.
func closeInto(c io.Closer, what string, err *error) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("%s: %w", what, cerr)
	}
}

// track registers c for Abort until the returned function is called.
func (r *Runner) track(c io.Closer) (untrack func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.nextID
	r.nextID++
	r.active[id] = c
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.active, id)
	}
}

// Abort closes every probe set, stats handle and workload the runner has
// open, at once, from any goroutine: a second Ctrl-C calls it before
// exiting so that nothing stays attached and no server keeps running.
// Run, if still going, then fails quickly.
func (r *Runner) Abort() {
	r.mu.Lock()
	cs := make([]io.Closer, 0, len(r.active))
	for _, c := range r.active {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// tracer is what the runner needs of package probes.
type tracer interface {
	Load(cfg probes.Config) (probeSet, error)
	EnableStats() (io.Closer, string, error)
	CountSyscalls(ctx context.Context, opts probes.CountOptions, fn func(context.Context) error) (map[string]uint64, error)
}

type probeSet interface {
	Snapshot() (probes.Snapshot, error)
	// Detach stops the programs running but keeps their stats, counters
	// and ring buffers readable.
	Detach() error
	StartConsumer(opts probes.ConsumerOptions) (consumer, error)
	Close() error
}

type consumer interface {
	Stop() (probes.ConsumerStats, error)
}

// realTracer is package probes.
type realTracer struct{}

func (realTracer) Load(cfg probes.Config) (probeSet, error) {
	p, err := probes.Load(cfg)
	if err != nil {
		return nil, err
	}
	return realProbes{p}, nil
}

func (realTracer) EnableStats() (io.Closer, string, error) { return probes.EnableStats() }

func (realTracer) CountSyscalls(ctx context.Context, opts probes.CountOptions, fn func(context.Context) error) (map[string]uint64, error) {
	return probes.CountSyscalls(ctx, opts, fn)
}

type realProbes struct{ *probes.Probes }

func (p realProbes) StartConsumer(opts probes.ConsumerOptions) (consumer, error) {
	c, err := p.Probes.StartConsumer(opts)
	if err != nil {
		return nil, err
	}
	return c, nil
}

type nopObserver struct{}

func (nopObserver) Begin(Plan)                   {}
func (nopObserver) RunStart(RunInfo)             {}
func (nopObserver) RunEnd(RunInfo, *results.Run) {}
func (nopObserver) Note(string)                  {}
func (nopObserver) End()                         {}
