package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/benchctl/benchctl/bench/capacity"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/numfmt"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// The capacity search itself is package capacity's; this file is the
// runner's side of it: which variants have a capacity, one run of a
// variant as a step, and the searches in rounds, written as they end.

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
	vs, err := r.capacityVariants(set)
	if err != nil {
		return nil, err
	}
	r.capacityThreads = set.Threads
	cr := &capacityRun{r: r, set: set, vs: vs, res: r.capacityResults(vs, set), caps: make([]results.Capacity, len(vs))}
	for i, v := range vs {
		cr.caps[i] = results.Capacity{Variant: v.Name, Settings: set}
	}
	r.opts.Observer.Note(fmt.Sprintf("capacity: %d variants × %d searches; target drop ratio %g%%, resolution %g%%", len(vs), set.Repeats, 100*set.TargetDropRatio, 100*set.Resolution))
	if err := cr.write(false, capacityInProgress); err != nil {
		return cr.res, err
	}
	rng := rand.New(rand.NewPCG(uint64(r.opts.Seed), 0x6361706163697479))
	for rep := 0; rep < set.Repeats; rep++ {
		for _, i := range rng.Perm(len(vs)) {
			if err := cr.search(ctx, rep, i); err != nil {
				return cr.res, err
			}
		}
	}
	return cr.res, cr.write(true, "")
}

// capacityInProgress is the reason a results file of a capacity run gives
// until the run ends.
const capacityInProgress = "capacity search in progress, or benchctl was killed"

// capacityVariants are the variants of the runner that have a capacity:
// the workload must be the built-in generator, the settings usable, at
// least one variant searchable, and every external tracer's too.
func (r *Runner) capacityVariants(set results.CapacitySettings) ([]results.Variant, error) {
	if r.sc.Workload.Type != "syscalls" {
		return nil, fmt.Errorf("capacity needs the built-in syscalls workload (its rate mode), not %q", r.sc.Workload.Type)
	}
	if err := capacity.CheckSettings(set); err != nil {
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
	return vs, nil
}

// capacityResults is the results file of a capacity run of vs, before
// its first search.
func (r *Runner) capacityResults(vs []results.Variant, set results.CapacitySettings) *results.Results {
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
	return res
}

// capacityRun is one capacity run: the searches of every variant, in
// repeats.
type capacityRun struct {
	r    *Runner
	set  results.CapacitySettings
	vs   []results.Variant
	res  *results.Results
	caps []results.Capacity // one a variant of vs
}

// write saves the results so far.
func (cr *capacityRun) write(complete bool, reason string) error {
	cr.res.Capacity = cr.caps
	cr.res.Complete, cr.res.Reason = complete, reason
	cr.res.Finished = time.Now().UTC()
	return cr.r.save(cr.res)
}

// search makes search rep of variant i and saves the results. A search
// that fails is recorded and warned about; an error returned ends the
// capacity run (interrupted, or the machine cannot run it at all).
func (cr *capacityRun) search(ctx context.Context, rep, i int) error {
	v, c := cr.vs[i], &cr.caps[i]
	prev := 0.0
	if n := len(c.Searches); n > 0 {
		prev = c.Searches[n-1].Capacity
	}
	ring := v.RingSize
	if ring == 0 {
		ring = probes.DefaultRingSize
	}
	cs := capacity.Search{
		Settings: cr.set,
		Step:     cr.r.capacityStepper(v, rep, &cr.res.Environment.StatsMethod),
		Duration: capacity.Durations(ring, v.DesignMode() == results.ModeExitOnly, cr.set, c),
		Note:     func(s results.CapacityStep) { cr.noteStep(v, rep, s) },
	}
	out, steps, err := cs.Run(ctx, prev)
	for j := range steps {
		steps[j].Search = rep
	}
	c.Steps = append(c.Steps, steps...)
	obs := cr.r.opts.Observer
	switch {
	case err != nil && ctx.Err() != nil:
		reason := fmt.Sprintf("interrupted during search %d of %s: %v", rep+1, v.Name, context.Cause(ctx))
		return errors.Join(fmt.Errorf("%s: %w", reason, ctx.Err()), cr.write(false, reason))
	case err != nil && isEnvironmentError(err):
		// No privileges, no BTF, a missing tracer: nothing else can be
		// searched either.
		reason := fmt.Sprintf("capacity of %s: %v", v.Name, err)
		return errors.Join(fmt.Errorf("%w: capacity of %s: %w", ErrRunFailed, v.Name, err), cr.write(false, reason))
	case err != nil:
		c.Error = err.Error()
		obs.Note(fmt.Sprintf("warning: capacity of %s, search %d: %v", v.Name, rep+1, err))
	default:
		c.Searches = append(c.Searches, out)
		bound := ""
		if out.Limit == results.LimitGenerator {
			bound = "≥ "
		}
		obs.Note(fmt.Sprintf("capacity %s search %d/%d: %s%s syscalls/s (%s events/s), limit %s, %d steps",
			v.Name, rep+1, cr.set.Repeats, bound, numfmt.Short(out.Capacity), numfmt.Short(out.EventsPerSec), out.Limit, out.Steps))
	}
	return cr.write(false, capacityInProgress)
}

// noteStep tells the observer of step s of search rep of v.
func (cr *capacityRun) noteStep(v results.Variant, rep int, s results.CapacityStep) {
	verdict := "pass"
	if !s.Pass {
		verdict = "drops"
	}
	cr.r.opts.Observer.Note(fmt.Sprintf("capacity %s search %d/%d: %s/s offered, %s/s made, drop ratio %.3g%%, consumer busy %.0f%% (waiting for a CPU %.0f%%): %s (%s)",
		v.Name, rep+1, cr.set.Repeats, numfmt.Short(s.Offered), numfmt.Short(s.Achieved), 100*s.DropRatio, 100*s.Busy, 100*s.ConsumerWait/max(s.Wall.Seconds(), 1e-9), verdict, s.Wall.Round(time.Millisecond)))
}

// capacityStepper returns the step of variant v: one run of v (probes
// loaded and a fresh consumer, or the tracer started, for every step, so
// that no backlog carries over) with the generator at the step's rate.
func (r *Runner) capacityStepper(v results.Variant, rep int, method *string) capacity.StepFunc {
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
		if err != nil {
			s := results.CapacityStep{Search: rep, Offered: rate, Achieved: run.Workload.AchievedRate, Wall: run.Wall, Error: err.Error()}
			return s, fmt.Errorf("step at %.0f syscalls/s: %w", rate, err)
		}
		s := capacity.StepOf(run, rate, v.External())
		s.Search = rep
		return s, nil
	}
}
