package results

import (
	"time"

	"github.com/benchctl/benchctl/bench/stats"
)

// CapacitySettings are how a capacity search was run (see
// docs/scenarios.md#capacity).
type CapacitySettings struct {
	// TargetDropRatio is the highest drop ratio (drops / events
	// attempted) a step may have and pass; 0 means no drop at all.
	TargetDropRatio float64 `json:"target_drop_ratio"`
	// Repeats is how many searches were made per variant.
	Repeats int `json:"repeats"`
	// Resolution: a search stops when its highest passing and lowest
	// failing rates are within this ratio of each other (0.05: 5%).
	Resolution float64 `json:"resolution"`
	// StartRate and MaxRate bound the offered rates, in syscalls/s.
	StartRate float64 `json:"start_rate"`
	MaxRate   float64 `json:"max_rate"`
	// MinStep and MaxStep bound a step's duration; in between it is the
	// time the ring takes to fill at the rate's resolution (see
	// StepDuration).
	MinStep time.Duration `json:"min_step_ns"`
	MaxStep time.Duration `json:"max_step_ns"`
	// Threads are the generator's threads.
	Threads int `json:"threads"`
}

// DefaultCapacitySettings are the capacity search's settings when a
// scenario names none (see docs/scenarios.md#capacity).
func DefaultCapacitySettings() CapacitySettings {
	return CapacitySettings{
		TargetDropRatio: 0,
		Repeats:         6,
		Resolution:      0.05,
		StartRate:       10_000,
		MaxRate:         2_000_000,
		MinStep:         time.Second,
		MaxStep:         10 * time.Second,
		Threads:         1,
	}
}

// The sides that limit a capacity (CapacitySearch.Limit).
const (
	// LimitConsumer: the failing step's consumer was busy (its CPU time
	// and run-queue wait at least LimitBusy of the step's wall time).
	LimitConsumer = "consumer"
	// LimitRing: the failing step dropped while the consumer had CPU to
	// spare: the ring could not hold a burst, or the consumer was off the
	// CPU (descheduled) long enough for it to fill.
	LimitRing = "ring"
	// LimitGenerator: the generator could not offer more, and nothing was
	// dropped: the capacity is at least what it offered.
	LimitGenerator = "generator"
)

// LimitBusy is the consumer's CPU time over a step's wall time above
// which a failing step's limit is the consumer.
const LimitBusy = 0.9

// CapacityStep is one step of a search: the generator at one rate, the
// tracer's drops over it.
type CapacityStep struct {
	Search int `json:"search"` // which search (0-based)
	// Offered is the rate the generator was asked for, Achieved what it
	// made, both syscalls/s.
	Offered  float64       `json:"offered"`
	Achieved float64       `json:"achieved"`
	Wall     time.Duration `json:"wall_ns"`
	// Attempted and Drops are the kernel's (or the tracer's) event
	// counters over the step; DropRatio is Drops / Attempted.
	Attempted uint64  `json:"attempted"`
	Drops     uint64  `json:"drops"`
	DropRatio float64 `json:"drop_ratio"`
	Events    uint64  `json:"events"` // events the consumer received
	// ConsumerCPU is the CPU seconds of benchctl's consumer thread over
	// its life (it starts just before the step's workload and ends with
	// its drain; schema 3 on, the tracer's CPU window before), or of an
	// external tracer's cgroup over the step,
	// ConsumerWait the seconds benchctl's consumer thread waited on a run
	// queue (runnable, not running: the machine was busy), and Busy their
	// sum over the step's wall time: the share of the step the consumer
	// wanted a CPU.
	ConsumerCPU  float64 `json:"consumer_cpu_s"`
	ConsumerWait float64 `json:"consumer_wait_s,omitempty"`
	Busy         float64 `json:"busy"`
	TablePeak    uint64  `json:"table_peak,omitempty"`
	// PeakMemoryBytes and MemoryMethod are the step's tracer peak
	// userspace memory and how it was read (TracerStats); absent before
	// they were recorded and where not measured.
	PeakMemoryBytes uint64 `json:"peak_memory_bytes,omitempty"`
	MemoryMethod    string `json:"memory_method,omitempty"`
	// AvgEventSize is the bytes per event received.
	AvgEventSize float64 `json:"avg_event_size,omitempty"`
	// Pass: the drop ratio was at most the target.
	Pass bool `json:"pass"`
	// GeneratorBound: it achieved less than GeneratorShortfall of the
	// offered rate.
	GeneratorBound bool   `json:"generator_bound,omitempty"`
	Error          string `json:"error,omitempty"`
}

// GeneratorShortfall: a step whose achieved rate is below this share of
// the offered one is generator-bound.
const GeneratorShortfall = 0.9

// CapacitySearch is one search's outcome.
type CapacitySearch struct {
	// Capacity is the highest achieved rate (syscalls/s) of a passing
	// step; EventsPerSec the events/s attempted at that step.
	Capacity     float64 `json:"capacity"`
	EventsPerSec float64 `json:"events_per_sec"`
	// Failing is the lowest achieved rate of a failing step (0 if none).
	Failing float64 `json:"failing,omitempty"`
	// Limit is LimitConsumer, LimitRing or LimitGenerator (then Capacity
	// is a lower bound: "≥ Capacity").
	Limit string `json:"limit"`
	Steps int    `json:"steps"`
	// PeakMemoryBytes and MemoryMethod are the tracer's peak memory at
	// the passing step of the highest rate (the capacity's); absent when
	// not measured.
	PeakMemoryBytes uint64 `json:"peak_memory_bytes,omitempty"`
	MemoryMethod    string `json:"memory_method,omitempty"`
}

// Capacity is one variant's capacity: its searches and every step.
type Capacity struct {
	Variant  string           `json:"variant"`
	Settings CapacitySettings `json:"settings"`
	Searches []CapacitySearch `json:"searches"`
	Steps    []CapacityStep   `json:"steps"`
	Error    string           `json:"error,omitempty"`
}

// CapacitySummary is a variant's capacity over its searches: the median
// with its 95% interval, in syscalls/s and events/s.
type CapacitySummary struct {
	Variant   string
	Syscalls  stats.Summary
	Events    stats.Summary
	Searches  int
	Limit     string // the most frequent limit
	LowerOnly bool   // every search was generator-bound: a lower bound
}

// Summary summarizes c's searches; ok is false without any.
func (c Capacity) Summary() (CapacitySummary, bool) {
	var caps, evs []float64
	limits := map[string]int{}
	bound := 0
	for _, s := range c.Searches {
		if s.Capacity <= 0 {
			continue
		}
		caps = append(caps, s.Capacity)
		evs = append(evs, s.EventsPerSec)
		limits[s.Limit]++
		if s.Limit == LimitGenerator {
			bound++
		}
	}
	if len(caps) == 0 {
		return CapacitySummary{}, false
	}
	out := CapacitySummary{
		Variant:   c.Variant,
		Syscalls:  stats.Summarize(caps),
		Events:    stats.Summarize(evs),
		Searches:  len(caps),
		LowerOnly: bound == len(caps),
	}
	for _, l := range []string{LimitConsumer, LimitRing, LimitGenerator} {
		if limits[l] > limits[out.Limit] {
			out.Limit = l
		}
	}
	return out, true
}

// CapacityOf returns the capacity record of the variant named name.
func (r *Results) CapacityOf(name string) (Capacity, bool) {
	for _, c := range r.Capacity {
		if c.Variant == name {
			return c, true
		}
	}
	return Capacity{}, false
}

// CapacitySample is the capacities (syscalls/s) of a variant's searches:
// the samples the gate's capacity metric compares.
func (r *Results) CapacitySample(name string) []float64 {
	c, ok := r.CapacityOf(name)
	if !ok {
		return nil
	}
	var out []float64
	for _, s := range c.Searches {
		if s.Capacity > 0 {
			out = append(out, s.Capacity)
		}
	}
	return out
}

// GateCapacity is the gate metric of a variant's capacity: the
// capacities of its searches, in syscalls/s. Higher is better: a drop
// beyond the threshold is a regression.
const GateCapacity = "capacity"

func init() {
	// Registered here rather than in gate.go's literals, beside the
	// capacity records it reads (CapacitySample); it is read from the
	// searches, not from runs, so its Value has nothing per run.
	GateMetrics[GateCapacity] = "the syscall rate a variant sustains within its target drop ratio, from `benchctl run` of a scenario with a capacity section (higher is better: a drop in capacity is a regression)"
	gateMeasures[GateCapacity] = Measure{Key: GateCapacity, Label: "capacity", Kind: KindCount, Better: +1,
		Value: func(Variant, Run) (float64, bool) { return 0, false }}
}
