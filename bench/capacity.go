package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// DefaultCapacitySettings are the capacity search's settings when a
// scenario names none (results.DefaultCapacitySettings).
func DefaultCapacitySettings() results.CapacitySettings { return results.DefaultCapacitySettings() }

// ringOverhead is the ring buffer's own header per record (BPF_RINGBUF_HDR_SZ).
const ringOverhead = 8

// StepDuration is how long a step offering rate syscalls/s runs: long
// enough that a consumer slower than the offered events by the search's
// resolution fills a ring of ringSize bytes (events of eventSize bytes,
// eventsPerSyscall per syscall, all in one CPU's ring as one generator
// thread's would be) — ringEvents / (resolution × event rate) — within
// [min, max]. A shorter step would pass a rate the consumer cannot hold,
// because the ring hides the difference for a while.
func StepDuration(ringSize int, eventSize, eventsPerSyscall, rate, resolution float64, minStep, maxStep time.Duration) time.Duration {
	if ringSize <= 0 || eventSize <= 0 || eventsPerSyscall <= 0 || rate <= 0 || resolution <= 0 {
		return maxStep
	}
	ringEvents := float64(ringSize) / (eventSize + ringOverhead)
	d := time.Duration(ringEvents / (resolution * rate * eventsPerSyscall) * float64(time.Second))
	return min(max(d, minStep), maxStep)
}

// stepFunc measures one step: the generator at rate syscalls/s for d.
// Drops are the step's outcome, not an error; an error means the step
// could not be measured.
type stepFunc func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error)

// capacitySearch is one search of one variant. Its rates are unknown in
// advance by orders of magnitude (10k/s for a slow consumer, millions for
// a counting one), so it ramps geometrically — ×2 from StartRate, or ×1.25
// around the previous search's capacity — until a step fails, which
// brackets the capacity in a few steps, then bisects the bracket
// (geometric mean) until it is narrower than the resolution. A plain
// bisection would need a bracket to start from; a ramp alone would need
// as many steps as its resolution allows. A passing step whose generator
// fell short of the offered rate ends the search as generator-bound unless
// it still made more than every passing step before it by the resolution
// (on a busy machine the generator falls short now and then).
type capacitySearch struct {
	set results.CapacitySettings
	// step measures one step; duration gives a step's length at a rate.
	step     stepFunc
	duration func(rate float64) time.Duration
	// note hears each step, for progress.
	note func(s results.CapacityStep)
}

// run makes one search; prev is the previous search's capacity (0 for
// the first). It returns the outcome and every step made.
func (cs capacitySearch) run(ctx context.Context, prev float64) (results.CapacitySearch, []results.CapacityStep, error) {
	set := cs.set
	var (
		steps    []results.CapacityStep
		best     *results.CapacityStep // the passing step of the highest achieved rate
		failStep *results.CapacityStep // the failing step of the lowest offered rate
		lo, hi   float64               // highest passing, lowest failing offered rates
	)
	// grew tells whether step s made a higher rate than every passing
	// step before it, by more than the resolution: a generator that fell
	// short of its target this once (the machine was busy) but still got
	// further is not yet the limit.
	var before float64
	grew := func(s results.CapacityStep) bool { return s.Achieved > before*(1+set.Resolution) }
	measure := func(rate float64) (results.CapacityStep, error) {
		if best != nil {
			before = best.Achieved
		}
		s, err := cs.step(ctx, rate, cs.duration(rate))
		if err != nil {
			return s, err
		}
		s.Offered = rate
		s.GeneratorBound = s.Achieved < results.GeneratorShortfall*rate
		if s.Attempted > 0 {
			s.DropRatio = float64(s.Drops) / float64(s.Attempted)
		}
		s.Pass = s.DropRatio <= set.TargetDropRatio
		steps = append(steps, s)
		if cs.note != nil {
			cs.note(s)
		}
		if s.Pass && (best == nil || s.Achieved > best.Achieved) {
			b := s
			best = &b
		}
		if !s.Pass && (failStep == nil || s.Offered < failStep.Offered) {
			f := s
			failStep = &f
		}
		return s, nil
	}
	outcome := func(limit string) results.CapacitySearch {
		out := results.CapacitySearch{Limit: limit, Steps: len(steps)}
		if best != nil {
			out.Capacity = best.Achieved
			out.PeakMemoryBytes, out.MemoryMethod = best.PeakMemoryBytes, best.MemoryMethod
			if best.Wall > 0 {
				out.EventsPerSec = float64(best.Attempted) / best.Wall.Seconds()
			}
		}
		if failStep != nil {
			out.Failing = failStep.Achieved
		}
		return out
	}
	limitOf := func(s *results.CapacityStep) string {
		if s.Busy >= results.LimitBusy {
			return results.LimitConsumer
		}
		return results.LimitRing
	}

	rate, factor := set.StartRate, 2.0
	if prev > 0 {
		rate, factor = max(set.StartRate, prev/(1.25*1.25)), 1.25
	}
	rate = min(rate, set.MaxRate)
	// Ramp up until a step fails.
	for {
		if err := ctx.Err(); err != nil {
			return outcome(""), steps, err
		}
		s, err := measure(rate)
		if err != nil {
			return outcome(""), steps, err
		}
		if !s.Pass {
			hi = rate
			break
		}
		lo = rate
		if s.GeneratorBound && !grew(s) || rate >= set.MaxRate {
			// Nothing dropped and the generator gave all it could (or
			// all it may): the capacity is at least that.
			return outcome(results.LimitGenerator), steps, nil
		}
		rate = min(rate*factor, set.MaxRate)
	}
	// The first step failed: ramp down until one passes.
	for lo == 0 {
		if rate /= 2; rate < set.StartRate/1024 {
			return outcome(limitOf(failStep)), steps, fmt.Errorf("drops at every rate down to %.0f syscalls/s", rate*2)
		}
		s, err := measure(rate)
		if err != nil {
			return outcome(""), steps, err
		}
		if s.Pass {
			lo = rate
		} else {
			hi = rate
		}
	}
	// Bisect [lo, hi] until it is narrower than the resolution.
	for hi/lo > 1+set.Resolution {
		if err := ctx.Err(); err != nil {
			return outcome(""), steps, err
		}
		mid := math.Sqrt(lo * hi)
		s, err := measure(mid)
		if err != nil {
			return outcome(""), steps, err
		}
		switch {
		case !s.Pass:
			hi = mid
		case s.GeneratorBound && !grew(s):
			// The generator could not offer mid this time, so the step
			// says nothing about it; a step above already dropped at a
			// rate the generator made, so what limits is that step's side.
			return outcome(limitOf(failStep)), steps, nil
		default:
			lo = mid
		}
	}
	return outcome(limitOf(failStep)), steps, nil
}

// ErrNoCapacity is wrapped by RunCapacity's error when a variant cannot
// have a capacity (the baseline, floor, a tracer without a drop counter).
var ErrNoCapacity = errors.New("variant has no capacity")

// capacityVariant tells whether v can be searched: it must send events
// and count its drops.
func (r *Runner) capacityVariant(v results.Variant) error {
	switch {
	case v.Baseline || v.Mode == results.ModeNone:
		return fmt.Errorf("%w: %s traces nothing", ErrNoCapacity, v.Name)
	case v.Mode == results.ModeFloor || v.Step != "":
		return fmt.Errorf("%w: %s sends no events", ErrNoCapacity, v.Name)
	case v.External():
		t, ok := r.sc.Tracer(v.Tracer)
		if !ok {
			return fmt.Errorf("variant %s: no tracer named %q", v.Name, v.Tracer)
		}
		if !t.CountsDrops() {
			return fmt.Errorf("%w: tracer %s has no drop counter (a counter regex with a group named drops), so its drops cannot be seen", ErrNoCapacity, t.Name)
		}
	}
	return nil
}

// RunCapacity searches the capacity of every variant that sends events
// (the baseline, floor and anatomy steps are left out): set.Repeats
// searches each, the variants shuffled within each repeat as runs are
// within rounds. The workload must be the built-in generator; each step
// runs it at one rate with set.Threads threads. Drops are what a step
// measures: a step fails only when it cannot be measured. The results
// hold the steps and searches (Results.Capacity), written to Output
// after every search.
func (r *Runner) RunCapacity(ctx context.Context, set results.CapacitySettings) (*results.Results, error) {
	res, err := r.runCapacity(ctx, set)
	r.red.redactResults(res)
	return res, r.red.redactErr(err)
}

func (r *Runner) runCapacity(ctx context.Context, set results.CapacitySettings) (*results.Results, error) {
	if r.sc.Workload.Type != "syscalls" {
		return nil, fmt.Errorf("capacity needs the built-in syscalls workload (its rate mode), not %q", r.sc.Workload.Type)
	}
	if err := checkCapacitySettings(set); err != nil {
		return nil, err
	}
	var vs []results.Variant
	for _, v := range r.variants {
		if r.capacityVariant(v) == nil {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: no variant of the scenario sends events", ErrNoCapacity)
	}
	for _, v := range r.variants {
		if err := r.capacityVariant(v); err != nil && v.External() {
			return nil, err
		}
	}
	r.capacityThreads = set.Threads
	sc := r.sc
	res := &results.Results{
		Schema: results.SchemaVersion,
		Scenario: results.ScenarioInfo{
			Name: sc.Name, File: sc.File, SHA256: sc.SHA256,
			Workload: r.describeWorkload(), Repetitions: set.Repeats, Gate: sc.Gate,
		},
		Environment: CollectEnvironment(r.opts.Version, r.opts.Commit),
		Seed:        r.opts.Seed,
		Started:     time.Now().UTC(),
		Variants:    vs,
		Runs:        []results.Run{},
	}
	res.Environment.StatsMethod = "off"
	caps := make([]results.Capacity, len(vs))
	for i, v := range vs {
		caps[i] = results.Capacity{Variant: v.Name, Settings: set}
	}
	obs := r.opts.Observer
	obs.Note(fmt.Sprintf("capacity: %d variants × %d searches; target drop ratio %g%%, resolution %g%%", len(vs), set.Repeats, 100*set.TargetDropRatio, 100*set.Resolution))
	write := func(complete bool, reason string) error {
		res.Capacity = caps
		res.Complete, res.Reason = complete, reason
		res.Finished = time.Now().UTC()
		return r.save(res)
	}
	if err := write(false, "capacity search in progress, or benchctl was killed"); err != nil {
		return res, err
	}
	rng := rand.New(rand.NewPCG(uint64(r.opts.Seed), 0x6361706163697479))
	for rep := 0; rep < set.Repeats; rep++ {
		for _, i := range rng.Perm(len(vs)) {
			v, c := vs[i], &caps[i]
			prev := 0.0
			if n := len(c.Searches); n > 0 {
				prev = c.Searches[n-1].Capacity
			}
			cs := capacitySearch{
				set:      set,
				step:     r.capacityStepper(v, rep, &res.Environment.StatsMethod),
				duration: r.stepDuration(v, set, c),
				note: func(s results.CapacityStep) {
					verdict := "pass"
					if !s.Pass {
						verdict = "drops"
					}
					obs.Note(fmt.Sprintf("capacity %s search %d/%d: %s/s offered, %s/s made, drop ratio %.3g%%, consumer busy %.0f%% (waiting for a CPU %.0f%%): %s (%s)",
						v.Name, rep+1, set.Repeats, numfmt.Short(s.Offered), numfmt.Short(s.Achieved), 100*s.DropRatio, 100*s.Busy, 100*s.ConsumerWait/max(s.Wall.Seconds(), 1e-9), verdict, s.Wall.Round(time.Millisecond)))
				},
			}
			out, steps, err := cs.run(ctx, prev)
			for j := range steps {
				steps[j].Search = rep
			}
			c.Steps = append(c.Steps, steps...)
			if err != nil {
				if ctx.Err() != nil {
					reason := fmt.Sprintf("interrupted during search %d of %s: %v", rep+1, v.Name, context.Cause(ctx))
					return res, errors.Join(fmt.Errorf("%s: %w", reason, ctx.Err()), write(false, reason))
				}
				if isEnvironmentError(err) {
					// No privileges, no BTF, a missing tracer: nothing
					// else can be searched either.
					reason := fmt.Sprintf("capacity of %s: %v", v.Name, err)
					return res, errors.Join(fmt.Errorf("%w: capacity of %s: %w", ErrRunFailed, v.Name, err), write(false, reason))
				}
				c.Error = err.Error()
				obs.Note(fmt.Sprintf("warning: capacity of %s, search %d: %v", v.Name, rep+1, err))
			} else {
				c.Searches = append(c.Searches, out)
				bound := ""
				if out.Limit == results.LimitGenerator {
					bound = "≥ "
				}
				obs.Note(fmt.Sprintf("capacity %s search %d/%d: %s%s syscalls/s (%s events/s), limit %s, %d steps",
					v.Name, rep+1, set.Repeats, bound, numfmt.Short(out.Capacity), numfmt.Short(out.EventsPerSec), out.Limit, out.Steps))
			}
			if err := write(false, "capacity search in progress, or benchctl was killed"); err != nil {
				return res, err
			}
		}
	}
	return res, write(true, "")
}

// capacityStepper returns the step of variant v: one run of v (probes
// loaded and a fresh consumer, or the tracer started, for every step, so
// that no backlog carries over) with the generator at the step's rate.
func (r *Runner) capacityStepper(v results.Variant, rep int, method *string) stepFunc {
	return func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
		spec := r.sc.Workload
		spec.Syscalls.Rate = rate
		spec.Syscalls.Count = 0
		spec.Syscalls.Duration = d
		spec.Syscalls.Threads = r.capacityThreads
		newWorkload := r.newWorkload
		r.newWorkload = func(scenario.WorkloadSpec) (workloads.Workload, error) { return newWorkload(spec) }
		run, m, err := r.runOne(ctx, v)
		r.newWorkload = newWorkload
		if m != "" {
			*method = m
		}
		s := results.CapacityStep{Search: rep, Offered: rate, Achieved: run.Workload.AchievedRate, Wall: run.Wall}
		if err != nil {
			s.Error = err.Error()
			return s, fmt.Errorf("step at %.0f syscalls/s: %w", rate, err)
		}
		s.Attempted, s.Drops, s.Events = run.Kernel.Attempted, run.Kernel.Drops(), run.User.Events
		// benchctl's consumer thread, the one that must keep up (not its
		// whole process, whose other threads run beside it), or an
		// external tracer's cgroup.
		s.ConsumerCPU = run.User.CPUSeconds
		if v.External() && run.Tracer != nil {
			s.ConsumerCPU = run.Tracer.CPUSeconds
			if n, ok := run.Tracer.Counters["events"]; ok && s.Events == 0 {
				s.Events = uint64(n)
			}
		}
		s.ConsumerWait = run.User.WaitSeconds
		if w := run.Wall.Seconds(); w > 0 {
			s.Busy = (s.ConsumerCPU + s.ConsumerWait) / w
		}
		s.TablePeak = run.User.TablePeak
		if run.Tracer != nil && run.Tracer.PeakMemoryBytes > 0 {
			s.PeakMemoryBytes, s.MemoryMethod = run.Tracer.PeakMemoryBytes, run.Tracer.MemoryMethod
		}
		if run.User.Events > 0 {
			s.AvgEventSize = float64(run.User.Bytes) / float64(run.User.Events)
		}
		return s, nil
	}
}

// stepDuration sizes v's steps from its ring and the events of its last
// step (64-byte events, and one per syscall for exit_only, two otherwise,
// before the first).
func (r *Runner) stepDuration(v results.Variant, set results.CapacitySettings, c *results.Capacity) func(rate float64) time.Duration {
	return func(rate float64) time.Duration {
		ring := v.RingSize
		if ring == 0 {
			ring = probes.DefaultRingSize
		}
		size, perSyscall := 64.0, 2.0
		if v.DesignMode() == results.ModeExitOnly {
			perSyscall = 1
		}
		for i := len(c.Steps) - 1; i >= 0; i-- {
			s := c.Steps[i]
			if s.Events > 0 && s.Achieved > 0 && s.Wall > 0 {
				perSyscall = float64(s.Attempted) / (s.Achieved * s.Wall.Seconds())
				if s.AvgEventSize > 0 {
					size = s.AvgEventSize
				}
				break
			}
		}
		return StepDuration(ring, size, perSyscall, rate, set.Resolution, set.MinStep, set.MaxStep)
	}
}

// checkCapacitySettings refuses settings a search cannot run with.
func checkCapacitySettings(set results.CapacitySettings) error {
	var errs []error
	if set.TargetDropRatio < 0 || set.TargetDropRatio >= 1 {
		errs = append(errs, fmt.Errorf("target drop ratio %g is not in [0, 1)", set.TargetDropRatio))
	}
	if set.Repeats < 1 {
		errs = append(errs, fmt.Errorf("repeats %d: want at least 1", set.Repeats))
	}
	if set.Resolution <= 0 || set.Resolution >= 1 {
		errs = append(errs, fmt.Errorf("resolution %g is not in (0, 1)", set.Resolution))
	}
	if set.StartRate <= 0 || set.MaxRate < set.StartRate {
		errs = append(errs, fmt.Errorf("rates: start %g and max %g syscalls/s: want 0 < start ≤ max", set.StartRate, set.MaxRate))
	}
	if set.MinStep <= 0 || set.MaxStep < set.MinStep {
		errs = append(errs, fmt.Errorf("steps: min %s and max %s: want 0 < min ≤ max", set.MinStep, set.MaxStep))
	}
	if set.Threads < 1 || float64(set.Threads)*workloads.MaxRatePerThread < set.MaxRate {
		errs = append(errs, fmt.Errorf("%d generator threads cannot offer %g syscalls/s (at most %d ops/s each)", set.Threads, set.MaxRate, workloads.MaxRatePerThread))
	}
	return errors.Join(errs...)
}
