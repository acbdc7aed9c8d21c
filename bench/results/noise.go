package results

import (
	"math"

	mstats "github.com/montanaflynn/stats"

	"github.com/benchctl/benchctl/bench/stats"
)

// Noise is what else the machine did during one run: the CPU time the
// hypervisor took (steal), the CPU time of processes that are neither
// benchctl nor what it started, and the load average. A run above a
// threshold (NoiseStealPct, NoiseOutsidePct) is flagged: reports mark it
// and `compare` does not call a regression that only its figures show.
//
// The figures come from /proc/stat (whole machine, in USER_HZ ticks) read
// when the workload starts and when it ends, against the CPU time of
// benchctl's process (its consumer thread and the built-in syscall
// generator included), of its descendants (redis-server, redis-benchmark,
// a command workload) and of the cgroups it controls (an external tracer's).
type Noise struct {
	// WallSeconds is the time between the two readings.
	WallSeconds float64 `json:"wall_s"`
	// TotalSeconds is the CPU time that elapsed on all CPUs (every state
	// of /proc/stat's cpu line, steal included): about CPUs × WallSeconds.
	TotalSeconds float64 `json:"total_cpu_s"`
	// BusySeconds is the CPU time spent running anything: user, nice,
	// system, irq and softirq of the whole machine.
	BusySeconds float64 `json:"busy_cpu_s"`
	// StealSeconds is the time the hypervisor ran something else while
	// this VM's CPUs wanted to run; IOWaitSeconds idle time with I/O
	// pending.
	StealSeconds  float64 `json:"steal_cpu_s"`
	IOWaitSeconds float64 `json:"iowait_cpu_s,omitempty"`
	// OwnSeconds is the CPU time of benchctl, its descendants and its
	// cgroups; OutsideSeconds = max(0, BusySeconds − OwnSeconds).
	OwnSeconds     float64 `json:"own_cpu_s"`
	OutsideSeconds float64 `json:"outside_cpu_s"`
	// StealPct and OutsidePct are StealSeconds and OutsideSeconds in
	// percent of TotalSeconds.
	StealPct   float64 `json:"steal_pct"`
	OutsidePct float64 `json:"outside_pct"`
	// Load1 is the 1-minute load average when the run ended. It counts
	// benchctl's own runnable threads too, and lags by a minute: it is
	// context, not a flag.
	Load1 float64 `json:"load1"`
	// Attributed says what OwnSeconds covers, e.g. "benchctl process
	// tree", "benchctl process tree, tracer cgroup" or (schema 3 on)
	// "benchctl process tree, workload cgroup, tracer cgroup".
	Attributed string `json:"attributed,omitempty"`

	// Per CPU (schema 2 on; absent in older files). CPUStealPct is the
	// largest steal among the CPUs that were busy (running something,
	// or wanting to: busy + steal) at least BusyCPUShare of the time, in
	// percent of that CPU's elapsed time: the workload's CPUs, as far as
	// /proc/stat tells. On a 16-vCPU machine 50% steal on the one vCPU a
	// single-threaded workload uses is 3% of the aggregate but 50% here.
	// It decides the steal flag when present. BusyCPUs counts those CPUs.
	CPUStealPct *float64 `json:"cpu_steal_pct,omitempty"`
	BusyCPUs    int      `json:"busy_cpus,omitempty"`
	// IRQSeconds and SoftIRQSeconds are the machine's irq and softirq
	// time, apart. With IRQ time accounting (Environment.CPUAccounting
	// says "irq") they are charged to no task, so they are not outside
	// CPU; with tick accounting they are charged to the task they
	// interrupted as well, and stay in BusySeconds.
	IRQSeconds     float64 `json:"irq_cpu_s,omitempty"`
	SoftIRQSeconds float64 `json:"softirq_cpu_s,omitempty"`
	// OutsideCPUs is OutsideSeconds / WallSeconds: how many CPUs'
	// worth of work outside benchctl ran beside it.
	OutsideCPUs float64 `json:"outside_cpus,omitempty"`
}

// BusyCPUShare is how busy a CPU must have been during a run for its
// steal to count in Noise.CPUStealPct.
const BusyCPUShare = 0.10

// FlagStealPct is the steal a run's flag is decided on: the largest
// steal among its busy CPUs when measured per CPU, else the aggregate.
func (n *Noise) FlagStealPct() float64 {
	if n.CPUStealPct != nil {
		return *n.CPUStealPct
	}
	return n.StealPct
}

// Flags returns why n is noisy under th, e.g. "steal 7.2% > 5%"; nil when
// it is not (or n is nil: a run without noise figures is never flagged).
func (n *Noise) Flags(th NoiseThresholds) []string {
	if n == nil {
		return nil
	}
	return stats.NoiseFlags(n.FlagStealPct(), n.OutsidePct, th.StealPct, th.OutsidePct)
}

// Flagged tells whether n is above a threshold of th.
func (n *Noise) Flagged(th NoiseThresholds) bool { return len(n.Flags(th)) > 0 }

// NoiseThresholds are the thresholds r's runs are flagged by: those
// SetNoiseThresholds gave (the command line's, else the scenario's, as
// the command that read r decided), else DefaultNoise.
func (r *Results) NoiseThresholds() NoiseThresholds {
	if r.applied != nil {
		return *r.applied
	}
	return DefaultNoise
}

// SetNoiseThresholds sets the thresholds r's runs are flagged by, for
// whatever reads r from now on. They are not written to the file.
func (r *Results) SetNoiseThresholds(th NoiseThresholds) { r.applied = &th }

// NoisyRun tells whether a figure of run is touched by noise: the run is
// flagged or, with viaBaseline (a figure measured against the baseline of
// the round, such as the overhead), the baseline run of its round with
// the same stats setting is.
func (r *Results) NoisyRun(run Run, viaBaseline bool) bool {
	th := r.NoiseThresholds()
	if run.Noise.Flagged(th) {
		return true
	}
	v, ok := r.Variant(run.Variant)
	if !viaBaseline || !ok || v.Baseline {
		return false
	}
	for _, b := range r.Runs {
		if b.Round != run.Round || b.Error != "" || b.Warmup != run.Warmup {
			continue
		}
		if bv, ok := r.Variant(b.Variant); ok && bv.Baseline && bv.Stats == v.Stats && b.Noise.Flagged(th) {
			return true
		}
	}
	return false
}

// FlaggedRuns returns the measured runs of the variant named name whose
// own noise figures are flagged, in round order.
func (r *Results) FlaggedRuns(name string) []Run {
	var out []Run
	th := r.NoiseThresholds()
	for _, run := range r.RunsOf(name) {
		if run.Noise.Flagged(th) {
			out = append(out, run)
		}
	}
	return out
}

// HasNoise tells whether any run of r has noise figures (results files
// written before benchctl measured them have none).
func (r *Results) HasNoise() bool {
	for _, run := range r.Runs {
		if run.Noise != nil {
			return true
		}
	}
	return false
}

// NoiseSummary is the noise of one variant's measured runs.
type NoiseSummary struct {
	// Runs is the number of measured runs with noise figures; Flagged
	// the number of those above a threshold.
	Runs, Flagged int
	// Medians over those runs.
	StealPct, OutsidePct, Load1 float64
	// MaxStealPct and MaxOutsidePct are the largest values.
	MaxStealPct, MaxOutsidePct float64
	// OutsideCPUs is the median of Noise.OutsideCPUs (0 in files
	// before schema 2).
	OutsideCPUs float64
}

// SummarizeNoise summarizes the noise of the variant named name; Runs is
// 0 when no measured run has noise figures.
func (r *Results) SummarizeNoise(name string) NoiseSummary {
	var s NoiseSummary
	var steal, outside, load, outsideCPUs []float64
	for _, run := range r.RunsOf(name) {
		n := run.Noise
		if n == nil {
			continue
		}
		s.Runs++
		if n.Flagged(r.NoiseThresholds()) {
			s.Flagged++
		}
		steal = append(steal, n.FlagStealPct())
		outside = append(outside, n.OutsidePct)
		load = append(load, n.Load1)
		outsideCPUs = append(outsideCPUs, n.OutsideCPUs)
		s.MaxStealPct = math.Max(s.MaxStealPct, n.FlagStealPct())
		s.MaxOutsidePct = math.Max(s.MaxOutsidePct, n.OutsidePct)
	}
	s.StealPct, s.OutsidePct, s.Load1 = median(steal), median(outside), median(load)
	s.OutsideCPUs = median(outsideCPUs)
	return s
}

// median is the sample's median, 0 for none.
func median(xs []float64) float64 {
	m, err := mstats.Median(xs) // copies before sorting
	if err != nil {
		return 0
	}
	return m
}

// FlaggedCount is the number of measured runs flagged as noisy.
func (r *Results) FlaggedCount() int {
	n := 0
	th := r.NoiseThresholds()
	for _, run := range r.Measured() {
		if run.Noise.Flagged(th) {
			n++
		}
	}
	return n
}
