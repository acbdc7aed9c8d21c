package capacity

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// model is a tracer whose consumer handles capacity events/s and a
// generator that makes at most genMax syscalls/s: the drops a step of
// d at rate λ would see, without a kernel.
type model struct {
	capacity, genMax float64
	calls            int
}

func (m *model) step(_ context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
	m.calls++
	made := math.Min(rate, m.genMax)
	s := results.CapacityStep{Achieved: made, Wall: d, Attempted: uint64(made * d.Seconds())}
	if made > m.capacity {
		s.Drops = uint64((made - m.capacity) * d.Seconds())
	}
	s.Events = s.Attempted - s.Drops
	s.Busy = math.Min(1, made/m.capacity)
	return s, nil
}

func testSearch(m *model) Search {
	set := results.DefaultCapacitySettings()
	set.StartRate = 1000
	set.MaxRate = 1e7
	return Search{Settings: set, Step: m.step, Duration: func(float64) time.Duration { return time.Second }}
}

func TestSearchFindsTheModelsCapacity(t *testing.T) {
	for _, c := range []float64{1500, 37_000, 812_345} {
		m := &model{capacity: c, genMax: math.Inf(1)}
		cs := testSearch(m)
		out, steps, err := cs.Run(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if out.Capacity > c || out.Capacity < c/(1+cs.Settings.Resolution) {
			t.Errorf("capacity %g: found %g, want within %g%% below", c, out.Capacity, 100*cs.Settings.Resolution)
		}
		if out.Limit != results.LimitConsumer || out.Failing <= c {
			t.Errorf("capacity %g: limit %q, failing at %g", c, out.Limit, out.Failing)
		}
		if len(steps) != m.calls || out.Steps != len(steps) {
			t.Errorf("%d steps recorded, %d made", len(steps), m.calls)
		}
		// A second search starts near the first one's answer, and needs
		// fewer steps.
		m.calls = 0
		out2, _, err := cs.Run(context.Background(), out.Capacity)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(out2.Capacity-out.Capacity) > c*cs.Settings.Resolution || out2.Steps > out.Steps {
			t.Errorf("capacity %g: second search %g in %d steps, first %g in %d", c, out2.Capacity, out2.Steps, out.Capacity, out.Steps)
		}
	}
}

func TestSearchSaysGeneratorBound(t *testing.T) {
	m := &model{capacity: 1e6, genMax: 200_000}
	out, _, err := testSearch(m).Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Limit != results.LimitGenerator || out.Capacity != 200_000 {
		t.Errorf("limit %q capacity %g, want generator at 200000", out.Limit, out.Capacity)
	}
	// The ceiling of the search is a lower bound too.
	m = &model{capacity: 1e9, genMax: math.Inf(1)}
	out, _, err = testSearch(m).Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Limit != results.LimitGenerator || out.Capacity != 1e7 {
		t.Errorf("limit %q capacity %g, want generator at the 1e7 ceiling", out.Limit, out.Capacity)
	}
}

func TestSearchRampsDownAndTargetsADropRatio(t *testing.T) {
	m := &model{capacity: 300, genMax: math.Inf(1)}
	out, _, err := testSearch(m).Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Capacity > 300 || out.Capacity < 300/1.05 {
		t.Errorf("capacity 300 below the start rate: found %g", out.Capacity)
	}
	// 10% drops allowed: a capacity of 1000 sustains 1111/s.
	m = &model{capacity: 1000, genMax: math.Inf(1)}
	cs := testSearch(m)
	cs.Settings.TargetDropRatio = 0.1
	out, _, err = cs.Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Capacity < 1000/0.9/1.05 || out.Capacity > 1000/0.9 {
		t.Errorf("10%% target: found %g, want within 5%% below %g", out.Capacity, 1000/0.9)
	}
	// A tracer that drops at every rate is an error, not a capacity.
	cs = testSearch(m)
	cs.Step = func(_ context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
		return results.CapacityStep{Achieved: rate, Wall: d, Attempted: 10, Drops: 5, Busy: 1}, nil
	}
	if _, _, err := cs.Run(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "drops at every rate") {
		t.Errorf("dropping everywhere: %v", err)
	}
}

func TestSearchRingLimit(t *testing.T) {
	// Drops with an idle consumer: the ring, not the consumer.
	m := &model{capacity: 5000, genMax: math.Inf(1)}
	cs := testSearch(m)
	cs.Step = func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
		s, err := m.step(ctx, rate, d)
		s.Busy = 0.2
		return s, err
	}
	out, _, err := cs.Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Limit != results.LimitRing {
		t.Errorf("limit %q, want ring", out.Limit)
	}
}

func TestStepDuration(t *testing.T) {
	// 64 KiB of 56-byte events (64 with the ring's header) is 1024
	// events; at 5% of 20k events/s that fills in 1.024 s.
	got := StepDuration(64<<10, 56, 1, 20_000, 0.05, 100*time.Millisecond, time.Minute)
	if got != 1024*time.Millisecond {
		t.Errorf("StepDuration = %s, want 1.024s", got)
	}
	if got := StepDuration(8<<20, 56, 2, 1000, 0.05, time.Second, 10*time.Second); got != 10*time.Second {
		t.Errorf("a big ring at a low rate is capped: %s", got)
	}
	if got := StepDuration(4096, 56, 1, 1e6, 0.05, time.Second, 10*time.Second); got != time.Second {
		t.Errorf("a small ring at a high rate is floored: %s", got)
	}
}

func TestCheckCapacitySettings(t *testing.T) {
	if err := CheckSettings(results.DefaultCapacitySettings()); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for name, mod := range map[string]func(*results.CapacitySettings){
		"negative rate":   func(s *results.CapacitySettings) { s.StartRate = -5 },
		"zero rate":       func(s *results.CapacitySettings) { s.StartRate = 0 },
		"max below start": func(s *results.CapacitySettings) { s.MaxRate = s.StartRate / 2 },
		"unreachable":     func(s *results.CapacitySettings) { s.MaxRate = 1e9 },
		"drop ratio":      func(s *results.CapacitySettings) { s.TargetDropRatio = 1.5 },
		"repeats":         func(s *results.CapacitySettings) { s.Repeats = 0 },
		"resolution":      func(s *results.CapacitySettings) { s.Resolution = 0 },
	} {
		s := results.DefaultCapacitySettings()
		mod(&s)
		if err := CheckSettings(s); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestSearchGoesOnPastAShortGenerator: a generator that falls short once
// (a busy moment) but still makes more than before does not end the
// search; the consumer's capacity above it is found.
func TestSearchGoesOnPastAShortGenerator(t *testing.T) {
	m := &model{capacity: 50_000, genMax: math.Inf(1)}
	cs := testSearch(m)
	short := true
	cs.Step = func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
		s, err := m.step(ctx, rate, d)
		if short && rate >= 8000 {
			// One step makes 85% of its rate, still more than before.
			short = false
			s.Achieved *= 0.85
		}
		return s, err
	}
	out, _, err := cs.Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Limit != results.LimitConsumer || out.Capacity < 50_000/1.05 || out.Capacity > 50_000 {
		t.Errorf("limit %q, capacity %g: want the consumer's 50000 within 5%%", out.Limit, out.Capacity)
	}
}

// TestSearchMemoryAtCapacity: a search records the tracer's peak memory
// of its passing step of the highest rate (here a tracer whose memory
// grows with the rate: 1 MiB per 1000 syscalls/s), not of a failing step.
func TestSearchMemoryAtCapacity(t *testing.T) {
	m := &model{capacity: 37_000, genMax: math.Inf(1)}
	cs := testSearch(m)
	cs.Step = func(ctx context.Context, rate float64, d time.Duration) (results.CapacityStep, error) {
		s, err := m.step(ctx, rate, d)
		s.PeakMemoryBytes, s.MemoryMethod = uint64(s.Achieved/1000*(1<<20)), "memory.peak"
		return s, err
	}
	out, steps, err := cs.Run(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(out.Capacity / 1000 * (1 << 20))
	if out.PeakMemoryBytes != want || out.MemoryMethod != "memory.peak" {
		t.Errorf("memory at capacity %g: %d (%s), want %d (memory.peak)", out.Capacity, out.PeakMemoryBytes, out.MemoryMethod, want)
	}
	for _, s := range steps {
		if !s.Pass && s.PeakMemoryBytes == out.PeakMemoryBytes {
			t.Errorf("the search's memory is a failing step's (%g syscalls/s)", s.Achieved)
		}
	}
}
