// Package capacity is the capacity search: the syscall rate at which a
// tracer starts dropping events. A Search drives one step at a time (the
// built-in generator at one rate, the tracer measuring it), ramps and
// bisects; the runner in package bench makes the steps, and the records
// (steps, searches, settings) are bench/results'.
package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/workloads"
)

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

// Durations sizes a variant's steps from its ring of ring bytes and the
// events of the last step of c that saw events (64-byte events, and one
// per syscall for exit_only, two otherwise, before the first).
func Durations(ring int, exitOnly bool, set results.CapacitySettings, c *results.Capacity) func(rate float64) time.Duration {
	return func(rate float64) time.Duration {
		size, perSyscall := 64.0, 2.0
		if exitOnly {
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

// StepFunc measures one step: the generator at rate syscalls/s for d.
// Drops are the step's outcome, not an error; an error means the step
// could not be measured.
type StepFunc func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error)

// Search is one search of one variant. Its rates are unknown in advance
// by orders of magnitude (10k/s for a slow consumer, millions for a
// counting one), so it ramps geometrically — ×2 from StartRate, or ×1.25
// around the previous search's capacity — until a step fails, which
// brackets the capacity in a few steps, then bisects the bracket
// (geometric mean) until it is narrower than the resolution. A plain
// bisection would need a bracket to start from; a ramp alone would need
// as many steps as its resolution allows. A passing step whose generator
// fell short of the offered rate ends the search as generator-bound unless
// it still made more than every passing step before it by the resolution
// (on a busy machine the generator falls short now and then).
type Search struct {
	Settings results.CapacitySettings
	// Step measures one step; Duration gives a step's length at a rate.
	Step     StepFunc
	Duration func(rate float64) time.Duration
	// Note hears each step, for progress; nil is silent.
	Note func(s results.CapacityStep)
}

// search is the state of one Search.Run.
type search struct {
	Search
	ctx   context.Context
	steps []results.CapacityStep
	// best is the passing step of the highest achieved rate; failStep
	// the failing step of the lowest offered rate.
	best, failStep *results.CapacityStep
	// before is the highest achieved rate of the passing steps before
	// the last one measured.
	before float64
}

// end is how a phase of the search ended it: with the limit of the
// outcome, and the error if any.
type end struct {
	limit string
	err   error
}

// Run makes one search; prev is the previous search's capacity (0 for
// the first). It returns the outcome and every step made.
func (cs Search) Run(ctx context.Context, prev float64) (results.CapacitySearch, []results.CapacityStep, error) {
	set := cs.Settings
	s := &search{Search: cs, ctx: ctx}
	rate, factor := set.StartRate, 2.0
	if prev > 0 {
		rate, factor = max(set.StartRate, prev/(1.25*1.25)), 1.25
	}
	rate = min(rate, set.MaxRate)
	lo, hi, e := s.rampUp(rate, factor)
	if e == nil && lo == 0 {
		lo, hi, e = s.rampDown(hi)
	}
	if e == nil {
		e = s.bisect(lo, hi)
	}
	return s.outcome(e.limit), s.steps, e.err
}

// rampUp ramps the rate up from rate by factor until a step fails: lo is
// the highest passing rate (0 when the first step failed), hi the failing
// one.
func (s *search) rampUp(rate, factor float64) (lo, hi float64, e *end) {
	for {
		if err := s.ctx.Err(); err != nil {
			return lo, hi, &end{err: err}
		}
		st, err := s.measure(rate)
		if err != nil {
			return lo, hi, &end{err: err}
		}
		if !st.Pass {
			return lo, rate, nil
		}
		lo = rate
		if st.GeneratorBound && !s.grew(st) || rate >= s.Settings.MaxRate {
			// Nothing dropped and the generator gave all it could (or
			// all it may): the capacity is at least that.
			return lo, hi, &end{limit: results.LimitGenerator}
		}
		rate = min(rate*factor, s.Settings.MaxRate)
	}
}

// rampDown halves the rate from the failing rate until a step passes.
func (s *search) rampDown(rate float64) (lo, hi float64, e *end) {
	hi = rate
	for lo == 0 {
		if rate /= 2; rate < s.Settings.StartRate/1024 {
			return lo, hi, &end{limit: limitOf(s.failStep), err: fmt.Errorf("drops at every rate down to %.0f syscalls/s", rate*2)}
		}
		st, err := s.measure(rate)
		if err != nil {
			return lo, hi, &end{err: err}
		}
		if st.Pass {
			lo = rate
		} else {
			hi = rate
		}
	}
	return lo, hi, nil
}

// bisect bisects [lo, hi] until it is narrower than the resolution.
func (s *search) bisect(lo, hi float64) *end {
	for hi/lo > 1+s.Settings.Resolution {
		if err := s.ctx.Err(); err != nil {
			return &end{err: err}
		}
		mid := math.Sqrt(lo * hi)
		st, err := s.measure(mid)
		if err != nil {
			return &end{err: err}
		}
		switch {
		case !st.Pass:
			hi = mid
		case st.GeneratorBound && !s.grew(st):
			// The generator could not offer mid this time, so the step
			// says nothing about it; a step above already dropped at a
			// rate the generator made, so what limits is that step's side.
			return &end{limit: limitOf(s.failStep)}
		default:
			lo = mid
		}
	}
	return &end{limit: limitOf(s.failStep)}
}

// grew tells whether step st made a higher rate than every passing step
// before it, by more than the resolution: a generator that fell short of
// its target this once (the machine was busy) but still got further is
// not yet the limit.
func (s *search) grew(st results.CapacityStep) bool {
	return st.Achieved > s.before*(1+s.Settings.Resolution)
}

// measure makes one step at rate and records it.
func (s *search) measure(rate float64) (results.CapacityStep, error) {
	if s.best != nil {
		s.before = s.best.Achieved
	}
	st, err := s.Step(s.ctx, rate, s.Duration(rate))
	if err != nil {
		return st, err
	}
	st.Offered = rate
	st.GeneratorBound = st.Achieved < results.GeneratorShortfall*rate
	if st.Attempted > 0 {
		st.DropRatio = float64(st.Drops) / float64(st.Attempted)
	}
	st.Pass = st.DropRatio <= s.Settings.TargetDropRatio
	s.steps = append(s.steps, st)
	if s.Note != nil {
		s.Note(st)
	}
	if st.Pass && (s.best == nil || st.Achieved > s.best.Achieved) {
		b := st
		s.best = &b
	}
	if !st.Pass && (s.failStep == nil || st.Offered < s.failStep.Offered) {
		f := st
		s.failStep = &f
	}
	return st, nil
}

// outcome is the search's outcome so far, ended by limit.
func (s *search) outcome(limit string) results.CapacitySearch {
	out := results.CapacitySearch{Limit: limit, Steps: len(s.steps)}
	if best := s.best; best != nil {
		out.Capacity = best.Achieved
		out.PeakMemoryBytes, out.MemoryMethod = best.PeakMemoryBytes, best.MemoryMethod
		if best.Wall > 0 {
			out.EventsPerSec = float64(best.Attempted) / best.Wall.Seconds()
		}
	}
	if s.failStep != nil {
		out.Failing = s.failStep.Achieved
	}
	return out
}

// limitOf is what limits a failing step: the consumer when it was busy,
// else the ring.
func limitOf(s *results.CapacityStep) string {
	if s.Busy >= results.LimitBusy {
		return results.LimitConsumer
	}
	return results.LimitRing
}

// StepOf is the step a run of the generator at rate made: its events,
// drops and the consumer's CPU (benchctl's consumer thread, the one that
// must keep up, or with external set, the tracer's cgroup), its memory and
// event size. The run must have ended without an error.
func StepOf(run results.Run, rate float64, external bool) results.CapacityStep {
	s := results.CapacityStep{Offered: rate, Achieved: run.Workload.AchievedRate, Wall: run.Wall}
	s.Attempted, s.Drops, s.Events = run.Kernel.Attempted, run.Kernel.Drops(), run.User.Events
	// benchctl's consumer thread, the one that must keep up (not its
	// whole process, whose other threads run beside it), or an
	// external tracer's cgroup.
	s.ConsumerCPU = run.User.CPUSeconds
	if external && run.Tracer != nil {
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
	return s
}

// CheckSettings refuses settings a search cannot run with.
func CheckSettings(set results.CapacitySettings) error {
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
