package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/benchctl/benchctl/bench/stats"
	"github.com/benchctl/benchctl/internal/atomicfile"
)

// SchemaVersion is the version of the results file this code writes.
// Readers read it and every older version (MinSchemaVersion on), and
// refuse newer ones: a field may have changed meaning. Bump it whenever
// a field changes meaning; docs/results.md lists what each version
// changed.
//
//	1: until 2026-12-02.
//	2: provenance (tracer argv and executables' SHA-256, --set values,
//	   benchctl's build); gate verdicts judge without noisy runs; noise
//	   per CPU (the steal flag is decided on cpu_steal_pct), irq and
//	   softirq apart, outside CPU in CPUs; environment.cpu_accounting.
//	3: tracer.cpu_seconds of benchctl's own probes is benchctl's whole
//	   process less the generator's threads (tracer.cpu_method), no
//	   longer the consumer thread alone, and so are the consumer_ns_*
//	   figures derived from it; workload.cpu_seconds and cpu_method,
//	   the CPU-per-op figures, environment.instructions; the noise
//	   meter counts the workload's cgroup as benchctl's own.
const SchemaVersion = 3

// MinSchemaVersion is the oldest results schema this code reads.
const MinSchemaVersion = 1

// Results is the results file: everything one `benchctl run` measured.
// It is the one interface between measuring and reporting.
type Results struct {
	Schema      int          `json:"schema"`
	Scenario    ScenarioInfo `json:"scenario"`
	Environment Environment  `json:"environment"`
	// Seed of the shuffles of the variants within rounds.
	Seed int64 `json:"seed"`
	// Complete is false when the run was interrupted or failed; Reason says why.
	Complete bool      `json:"complete"`
	Reason   string    `json:"reason,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Variants []Variant `json:"variants"`
	// Fingerprint counts the syscalls one run of the workload made, by name,
	// measured in a separate pass with a counting program.
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	Runs        []Run        `json:"runs"`
	// Capacity holds the capacity searches of a capacity run, one record
	// per variant searched (see Capacity).
	Capacity []Capacity `json:"capacity,omitempty"`
	// Provenance says what exactly was measured: the --set values,
	// benchctl's build and each external tracer's resolved command and
	// executable (schema 2 on; nil in older files).
	Provenance *Provenance `json:"provenance,omitempty"`

	// applied are the noise thresholds its runs are flagged by, set by
	// the command that read it (SetNoiseThresholds); nil: DefaultNoise.
	applied *NoiseThresholds
}

// ScenarioInfo identifies the scenario a results file comes from.
type ScenarioInfo struct {
	Name     string `json:"name"`
	File     string `json:"file"`
	SHA256   string `json:"sha256"`
	Workload string `json:"workload"` // one-line description, e.g. "redis: -t ping_inline,set -n 100000"
	// Repetitions is the number of measured rounds asked for, Warmup the
	// number of warm-up rounds before them.
	Repetitions int `json:"repetitions"`
	Warmup      int `json:"warmup"`
	// Auto is set for `repetitions: auto`: its settings, and how many
	// rounds were made and why they stopped (Repetitions is the maximum).
	Auto *AutoOutcome `json:"auto,omitempty"`
	// Gate holds the thresholds `compare` applies: metric name -> percent.
	Gate map[string]float64 `json:"gate,omitempty"`
	// Noise holds the scenario's noise thresholds, when it sets them
	// (schema 2 on); report and compare apply them unless the command
	// line sets its own.
	Noise *NoiseThresholds `json:"noise,omitempty"`
}

// NoiseThresholds are the percentages above which a run is flagged as
// noisy (see stats.NoiseFlags).
type NoiseThresholds struct {
	StealPct   float64 `json:"steal_pct"`
	OutsidePct float64 `json:"outside_pct"`
}

// DefaultNoise are the noise thresholds when neither the scenario nor
// the command line sets them.
var DefaultNoise = NoiseThresholds{StealPct: stats.DefaultNoiseStealPct, OutsidePct: stats.DefaultNoiseOutsidePct}

// Environment describes the machine and the tool.
type Environment struct {
	Kernel          string    `json:"kernel"`
	Arch            string    `json:"arch"`
	CPUModel        string    `json:"cpu_model"`
	CPUs            int       `json:"cpus"`
	MemoryBytes     uint64    `json:"memory_bytes"`
	ClockSource     string    `json:"clock_source"`
	Hostname        string    `json:"hostname"`
	BenchctlVersion string    `json:"benchctl_version"`
	BenchctlCommit  string    `json:"benchctl_commit"`
	GoVersion       string    `json:"go_version"`
	StatsMethod     string    `json:"stats_method"` // "BPF_ENABLE_STATS", "sysctl" or "off"
	Time            time.Time `json:"time"`
	// Guest says the run happened in a virtual machine and how, from the
	// BENCHCTL_GUEST variable `benchctl vm` sets: "qemu-kvm", or
	// "qemu-tcg" (emulated: its timings are not timings). Empty on a host.
	Guest string `json:"guest,omitempty"`
	// CPUAccounting is how the kernel accounts CPU time (see
	// bench.CPUAccounting): "tick", "virt-gen", with ", irq" for IRQ time
	// accounting and ", paravirt steal"; what noise's irq, softirq and
	// steal mean depends on it. Empty when the kernel config is not
	// readable (and in files before schema 2).
	CPUAccounting string `json:"cpu_accounting,omitempty"`
	// Instructions says whether instructions retired can be counted
	// here (a hardware PMU, perf_event_open of
	// PERF_COUNT_HW_INSTRUCTIONS): "available", or "not available: "
	// and why (most VMs have no PMU). Empty before schema 3.
	Instructions string `json:"instructions,omitempty"`
	// Node is the Kubernetes node a `benchctl fleet run` measured, from
	// the BENCHCTL_FLEET_NODE variable its pod sets; nil elsewhere. Kernel
	// above is the pod's own uname, Node.Kernel what the node reports.
	Node *NodeInfo `json:"node,omitempty"`
}

// NodeInfo describes the Kubernetes node a run happened on.
type NodeInfo struct {
	Name string `json:"name"`
	// Kernel is the node status' nodeInfo.kernelVersion.
	Kernel string `json:"kernel,omitempty"`
	// InstanceType and Zone are the node's node.kubernetes.io/instance-type
	// and topology.kubernetes.io/zone labels, when it has them.
	InstanceType string `json:"instance_type,omitempty"`
	Zone         string `json:"zone,omitempty"`
	// Pod is the pod that ran benchctl; Image its image.
	Pod   string `json:"pod,omitempty"`
	Image string `json:"image,omitempty"`
}

// Variant is one cell of the scenario's matrix.
type Variant struct {
	Name     string   `json:"name"`
	Mode     Mode     `json:"mode"`
	TOCTOU   TOCTOU   `json:"toctou,omitempty"`
	Set      string   `json:"set,omitempty"` // syscall set name
	Syscalls []string `json:"syscalls,omitempty"`
	Stats    bool     `json:"stats"` // program stats enabled during its runs
	RingSize int      `json:"ring_size,omitempty"`
	Snaplen  int      `json:"snaplen,omitempty"`
	Baseline bool     `json:"baseline,omitempty"` // mode none
	// Step is the variant's cost-anatomy step (see Steps): "" for the
	// full mode.
	Step string `json:"step,omitempty"`
	// Reserve is probes.Config.Reserve: fixed-size events written
	// straight into the ring.
	Reserve bool `json:"reserve,omitempty"`
	// Tracer names the external tracer of a variant of mode external;
	// Family groups tracers whose enter_exit and exit_only designs a
	// report pairs (e.g. two Falco releases), and Design is the design
	// this one follows (enter_exit, exit_only, or "" for neither).
	Tracer string `json:"tracer,omitempty"`
	Family string `json:"family,omitempty"`
	Design Mode   `json:"design,omitempty"`
	// Consumer is the per-event work of benchctl's consumer (see
	// ConsumerCost); nil when it only counts.
	Consumer *ConsumerCost `json:"consumer,omitempty"`
}

// ModeExternal is the mode of a variant whose programs an external tracer
// loads (see TracerSpec).
const ModeExternal Mode = "external"

// External tells whether v is an external tracer's variant.
func (v Variant) External() bool { return v.Mode == ModeExternal }

// DesignMode is the probe design v follows: its mode for benchctl's own
// probes, the tracer's declared design for an external one.
func (v Variant) DesignMode() Mode {
	if v.External() {
		return v.Design
	}
	return v.Mode
}

// FamilyName is the family v's pairs are made in: "benchctl" for
// benchctl's own probes.
func (v Variant) FamilyName() string {
	if v.External() {
		if v.Family != "" {
			return v.Family
		}
		return v.Tracer
	}
	return "benchctl"
}

// Fingerprint is the workload's syscall mix.
type Fingerprint struct {
	Total    uint64            `json:"total"`
	Syscalls map[string]uint64 `json:"syscalls"`
	// Scope is whose syscalls were counted: FingerprintCgroup,
	// FingerprintProcess, or the whole machine's (FingerprintMachine;
	// empty in files that do not say, all of them the machine's).
	Scope string `json:"scope,omitempty"`
}

// Fingerprint scopes.
const (
	FingerprintCgroup  = "cgroup"  // the workload's cgroup: its processes and their children
	FingerprintProcess = "process" // benchctl's own process, whose threads the built-in generator's are
	FingerprintMachine = "machine" // the whole machine: the workload had no cgroup
)

// Run is one measured (or warm-up) execution of one variant.
type Run struct {
	Variant string        `json:"variant"`
	Round   int           `json:"round"` // 0-based; warm-up rounds are negative
	Warmup  bool          `json:"warmup,omitempty"`
	Order   int           `json:"order"` // position inside its round
	Start   time.Time     `json:"start"`
	Wall    time.Duration `json:"wall_ns"`
	// Programs are the deltas of each attached program over the run.
	Programs []ProgramStats `json:"programs,omitempty"`
	Kernel   Counters       `json:"kernel"`
	User     ConsumerStats  `json:"userspace"`
	Workload Result         `json:"workload"`
	// Tracer is what the tracer cost outside the kernel: an external
	// tracer's process tree, or benchctl's own consumer.
	Tracer *TracerStats `json:"tracer,omitempty"`
	// Load is what loading the run's programs cost (bpf_prog_info), or
	// why the kernel refused them; nil for the baseline and in files
	// written before it was recorded.
	Load *Load `json:"load,omitempty"`
	// Noise is what else the machine did during the run (see Noise);
	// nil in files written before it was measured.
	Noise   *Noise  `json:"noise,omitempty"`
	Derived Derived `json:"derived"`
	Error   string  `json:"error,omitempty"`
	// Foreign lists the BPF programs that were attached to the syscall
	// tracepoints just before the run and were not its own (schema 2 on).
	Foreign []ForeignProgram `json:"foreign,omitempty"`
}

// The windows and methods of TracerStats' figures.
const (
	// TracerCPUProcess: benchctl's own probes' tracer CPU is benchctl's
	// whole process (every thread: the consumer, the Go runtime's and
	// the garbage collector's, the runner's reads of program stats)
	// over the window, less the built-in generator's worker threads
	// (Result.CPUSeconds) and the noise meter's own reading of /proc.
	TracerCPUProcess = "benchctl_process_less_workload"
	// TracerCPUCgroup: an external tracer's cgroup's cpu.stat.
	TracerCPUCgroup = "tracer_cgroup"

	// From the start of the workload to the exit of the external tracer
	// after its stop signal: its drain, final report and shutdown.
	CPUWindowWorkloadToExit = "workload_start_to_tracer_exit"
	// From the start of the workload to the end of benchctl's consumer's
	// drain, after the probes were detached.
	CPUWindowWorkloadToDrain = "workload_start_to_drain_end"
	// The tracer's whole life: start, ready wait, workload, stop.
	CountersTracerLife = "tracer_life"

	// MemoryProcessHWM: benchctl's own consumer's peak memory is its
	// process's VmHWM, reset (clear_refs) when the consumer started, read
	// when its drain ended: the consumer, the Go runtime and heap, the
	// runner, the built-in generator's threads, and the ring buffer's
	// pages mapped into the process.
	MemoryProcessHWM = "process_VmHWM"
	// MemoryProcessHWMLife: the same where the reset was refused: the
	// process's peak since it started, an upper bound.
	MemoryProcessHWMLife = "process_VmHWM_lifetime"
)

// TracerStats is what a run's tracer cost in userspace, and what it held.
// For an external tracer it covers its whole process tree (its cgroup)
// over the measured window; for benchctl's own probes, benchctl's
// process less the workload's threads (CPUMethod says which).
type TracerStats struct {
	// CPUSeconds is user + system CPU time over the measured window
	// (CPUWindow says which).
	CPUSeconds    float64 `json:"cpu_seconds"`
	UserSeconds   float64 `json:"user_seconds,omitempty"`
	SystemSeconds float64 `json:"system_seconds,omitempty"`
	// PeakMemoryBytes is the tree's peak memory (MemoryMethod says how it
	// was read: "memory.peak" of its cgroup v2, "memory.max_usage_in_bytes"
	// of the cgroup v1 memory cgroup it was born in, "VmHWM_sampled" (the
	// sum of each process's largest sampled VmHWM), or, in files before
	// issue 33, "VmHWM": the sum over the processes alive at ready and at
	// stop, which missed those that exited). Absent: not measured.
	PeakMemoryBytes uint64 `json:"peak_memory_bytes,omitempty"`
	MemoryMethod    string `json:"memory_method,omitempty"`
	// MemoryMissing says why there is no PeakMemoryBytes where one was
	// looked for: the report says "not measured", never a small number.
	MemoryMissing string `json:"memory_missing,omitempty"`
	// MeanMemoryBytes is the mean of resident memory samples taken over
	// the workload (every 100 ms, and at its start and end; MemorySamples
	// of them), ResidentMethod says how: "memory.current" (cgroup v2),
	// "memory.usage_in_bytes" (the v1 memory cgroup), "VmRSS" (the sum
	// over the tracer's processes, or benchctl's own process). Absent in
	// older files.
	MeanMemoryBytes uint64 `json:"mean_memory_bytes,omitempty"`
	MemorySamples   int    `json:"memory_samples,omitempty"`
	ResidentMethod  string `json:"resident_method,omitempty"`
	// AnonMeanBytes and AnonPeakBytes are the mean and the largest of the
	// anonymous memory samples over the same window; AnonMethod says how:
	// "memory.stat:anon" (v2), "memory.stat:total_rss" (v1), "RssAnon"
	// (the sum over the processes). Absent in older files.
	AnonMeanBytes uint64 `json:"anon_mean_bytes,omitempty"`
	AnonPeakBytes uint64 `json:"anon_peak_bytes,omitempty"`
	AnonMethod    string `json:"anon_method,omitempty"`
	// BPFMemoryBytes is what it held in the kernel through BPF, read
	// when it was ready: the memlock of the programs and maps it held by
	// file descriptor and of the maps held only inside its maps-of-maps
	// (BPF ring buffers' data pages included, Linux 6.4+), plus
	// PerfBufferBytes.
	BPFMemoryBytes uint64 `json:"bpf_memory_bytes,omitempty"`
	// PerfBufferBytes is the part of BPFMemoryBytes in perf event ring
	// buffers its processes mapped (a perf event array's output), which
	// no map's memlock counts. Absent in older files, and where none.
	PerfBufferBytes uint64 `json:"perf_buffer_bytes,omitempty"`
	// BPFMemoryEstimate is set when BPFMemoryBytes comes from a kernel
	// before 6.4, whose memlock figures are estimates from declared sizes
	// (a ring buffer's is 0): shown, never compared.
	BPFMemoryEstimate bool `json:"bpf_memory_estimate,omitempty"`
	ProgramsLoaded    int  `json:"programs_loaded,omitempty"`
	ProgramsAttached  int  `json:"programs_attached,omitempty"`
	// CPUWindow is the window of CPUSeconds: CPUWindowWorkloadToExit or
	// CPUWindowWorkloadToDrain; empty in files written before it was
	// recorded, whose window ended with the workload.
	CPUWindow string `json:"cpu_window,omitempty"`
	// CPUMethod says whose CPU time CPUSeconds is: TracerCPUProcess or
	// TracerCPUCgroup; empty before schema 3, when benchctl's figure
	// was its consumer thread's alone.
	CPUMethod string `json:"cpu_method,omitempty"`
	// CountersWindow is the window of the counters the tracer printed
	// (and of the events, bytes, drops and kernel events read from them):
	// CountersTracerLife for an external tracer, which prints them at
	// exit. They are not divided by the workload's wall time or syscalls.
	CountersWindow string `json:"counters_window,omitempty"`
	// ReadyNs is how long the tracer took from start to ready.
	ReadyNs time.Duration `json:"ready_ns,omitempty"`
	// Exit is how an external tracer ended.
	Exit *TracerExit `json:"exit,omitempty"`
	// Counters are the values its output's counter regexes matched.
	Counters map[string]float64 `json:"counters,omitempty"`
	// Output is the last lines of its output, kept when the run failed.
	Output string `json:"output,omitempty"`
	// Texts are what its counter regexes' groups named *_text captured
	// (e.g. the syscalls the tracer activated in the kernel).
	Texts map[string]string `json:"texts,omitempty"`
}

// Derived are the per-run figures computed from the raw ones, stored so a
// reader needs no formulae; Derive recomputes them.
type Derived struct {
	// KernelTimeNs is the summed run time of every attached program.
	KernelTimeNs uint64 `json:"kernel_time_ns"`
	// Syscalls is the number of syscalls the machine made during the run,
	// as counted by the sys_exit program's run count (0 without one).
	Syscalls uint64 `json:"syscalls,omitempty"`
	// NsPerSyscall is KernelTimeNs / Syscalls.
	NsPerSyscall float64 `json:"ns_per_syscall,omitempty"`
	EventsPerSec float64 `json:"events_per_sec"`
	BytesPerSec  float64 `json:"bytes_per_sec"`
	AvgEventSize float64 `json:"avg_event_size"`
	DropRatio    float64 `json:"drop_ratio"`
	// ThroughputChange is throughput / the same round's baseline throughput - 1
	// (e.g. -0.17 for 17% slower); nil without a baseline run in the round.
	ThroughputChange *float64 `json:"throughput_change,omitempty"`
	// LatencyP50Change and LatencyP99Change are the run's latency p50
	// (p99) / the same round's baseline p50 (p99) - 1 (e.g. 0.12 for 12%
	// slower: positive is worse); nil when the run or that baseline has
	// no latency. See RunLatency for what a run's p50 and p99 are.
	LatencyP50Change *float64 `json:"latency_p50_change,omitempty"`
	LatencyP99Change *float64 `json:"latency_p99_change,omitempty"`
	// TracedSyscalls is the syscalls of the traced set the tracer's
	// userspace was told of: exit events received, or an external
	// tracer's "syscalls" counter. ConsumerNsPerEvent and
	// ConsumerNsPerSyscall are the tracer's userspace CPU time (the
	// consumer thread, or the tracer's cgroup) per event received and
	// per traced syscall.
	TracedSyscalls       uint64  `json:"traced_syscalls,omitempty"`
	ConsumerNsPerEvent   float64 `json:"consumer_ns_per_event,omitempty"`
	ConsumerNsPerSyscall float64 `json:"consumer_ns_per_syscall,omitempty"`
	// CPU per unit of work (Workload.Ops: a request, a generator op, a
	// command's run), in ns: the workload's own CPU time
	// (Workload.CPUSeconds), the tracer's (Tracer.CPUSeconds, for
	// traced variants) and their sum; see CPUPerOp. CPUPerOpChange is
	// CPUNsPerOp / the same round's baseline run's CPUNsPerOp (its
	// workload's alone) − 1, as ThroughputChange is made.
	WorkloadCPUNsPerOp float64  `json:"workload_cpu_ns_per_op,omitempty"`
	TracerCPUNsPerOp   float64  `json:"tracer_cpu_ns_per_op,omitempty"`
	CPUNsPerOp         float64  `json:"cpu_ns_per_op,omitempty"`
	CPUPerOpChange     *float64 `json:"cpu_per_op_change,omitempty"`
}

// Write stores r at path atomically (temporary file in the same folder,
// fsync, rename; see atomicfile.Write): a failure leaves path as it was.
// It refuses a path that is not a regular file (a device node, a
// symlink, a directory, a fifo) rather than replace it.
func (r *Results) Write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	// 0644, readable by the user who reads reports when root ran the
	// benchmark; 0600 when it holds a redacted --set value (fileMode).
	if err := atomicfile.Write(path, append(data, '\n'), fileMode(data)); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

// ErrSchema is returned (wrapped) for a results file of an unknown version.
var ErrSchema = errors.New("unknown results schema version")

// CheckSchema fails, wrapping ErrSchema, for a schema version this code
// does not read: one newer than SchemaVersion (written by a newer
// benchctl, whose fields may mean something else) or older than
// MinSchemaVersion.
func CheckSchema(v int) error {
	switch {
	case v > SchemaVersion:
		return fmt.Errorf("%w %d: newer than this benchctl reads (%d to %d); use a benchctl at least as new as the one that wrote it", ErrSchema, v, MinSchemaVersion, SchemaVersion)
	case v < MinSchemaVersion:
		return fmt.Errorf("%w %d (this benchctl reads %d to %d)", ErrSchema, v, MinSchemaVersion, SchemaVersion)
	}
	return nil
}

// ReadResults loads a results file and refuses unknown schema versions.
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	var probe struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("reading results %s: %w", path, err)
	}
	if err := CheckSchema(probe.Schema); err != nil {
		return nil, fmt.Errorf("reading results %s: %w", path, err)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("reading results %s: %w", path, err)
	}
	// The derived figures are recomputed from the raw ones, so a file
	// written by an older benchctl reports with today's formulas, and
	// whatever reads results exercises Derive.
	Derive(&r)
	return &r, nil
}

// Measured returns the runs that are not warm-ups and did not fail.
func (r *Results) Measured() []Run {
	var out []Run
	for _, run := range r.Runs {
		if !run.Warmup && run.Error == "" {
			out = append(out, run)
		}
	}
	return out
}

// Variant returns the variant named name.
func (r *Results) Variant(name string) (Variant, bool) {
	for _, v := range r.Variants {
		if v.Name == name {
			return v, true
		}
	}
	return Variant{}, false
}
