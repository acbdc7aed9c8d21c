package record

import "time"

// Result is what one measured Run reports.
type Result struct {
	// Throughput is the workload's headline figure in Unit (ops/s,
	// requests/s); higher is better. Zero when the workload has none.
	Throughput float64 `json:"throughput"`
	Unit       string  `json:"unit"`
	// Ops is the number of operations done, when known.
	Ops  float64       `json:"ops,omitempty"`
	Wall time.Duration `json:"wall_ns"`
	// Latency percentiles in milliseconds, when the workload has them.
	Latency *Latency `json:"latency,omitempty"`
	// Tests holds per-test figures (redis-benchmark's -t tests).
	Tests []TestResult `json:"tests,omitempty"`
	// TargetRate and AchievedRate are the syscalls/s a rate-controlled
	// generator was asked for and made (the built-in generator with a
	// rate); zero otherwise.
	TargetRate   float64 `json:"target_rate,omitempty"`
	AchievedRate float64 `json:"achieved_rate,omitempty"`
	// CPUSeconds is the CPU time (user + system: the BPF programs run
	// in the workload's context, so their time is in it) the workload's
	// own tasks used during Run; CPUMethod says how it was read
	// (WorkloadCPUThreads, WorkloadCPUCgroup). Both are empty when it
	// was not measured (no cgroup v2, older files).
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	CPUMethod  string  `json:"cpu_method,omitempty"`
}

// How a workload's CPU time (Result.CPUSeconds) was read.
const (
	// The built-in generator runs in benchctl's process: the sum of its
	// worker threads' CPU clocks (CLOCK_THREAD_CPUTIME_ID), each read
	// on the thread when it starts working and when it is done.
	WorkloadCPUThreads = "generator_threads"
	// A workload of child processes (redis-server and redis-benchmark, a
	// command) runs in a cgroup v2 of its own: its cpu.stat usage from
	// the start of Run to the exit of the measured process, exited
	// processes included.
	WorkloadCPUCgroup = "workload_cgroup"
)

// Latency percentiles, in milliseconds.
type Latency struct {
	AvgMs float64 `json:"avg_ms"`
	MinMs float64 `json:"min_ms"`
	P50Ms float64 `json:"p50_ms"`
	P95Ms float64 `json:"p95_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

// TestResult is one named test inside a workload run.
type TestResult struct {
	Name       string   `json:"name"`
	Throughput float64  `json:"throughput"`
	Latency    *Latency `json:"latency,omitempty"`
}

// TracerExit says how a tracer ended: ExitCode and Signal are its
// leader's.
type TracerExit struct {
	ExitCode int    `json:"exit_code"`        // -1 when killed by a signal
	Signal   string `json:"signal,omitempty"` // e.g. "SIGKILL" when it was killed
	Killed   bool   `json:"killed,omitempty"` // benchctl had to SIGKILL processes of its cgroup (grace period over, or Close)
	// Resignaled: the tracer was still running halfway through the grace
	// period and got its stop signal a second time.
	Resignaled bool          `json:"resignaled,omitempty"`
	StopTime   time.Duration `json:"stop_ns"` // from the stop signal to the cgroup being empty
}

// Code is the exit status, nil when the tracer was killed by a signal.
func (e TracerExit) Code() *int {
	if e.Signal != "" {
		return nil
	}
	code := e.ExitCode
	return &code
}
