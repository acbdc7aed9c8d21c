package workloads

import (
	"context"
	"time"
)

// Workload generates syscalls. Prepare does the slow set-up that must not
// be measured (redis: start the server and wait until it answers); Run
// does the measured part; Close undoes Prepare and must be safe to call
// more than once and after a failed Prepare.
type Workload interface {
	// Name is the workload type: "redis", "syscalls" or "command".
	Name() string
	// Describe is a one-line description of the configured workload
	// for reports, e.g. "redis-benchmark -t ping_inline,set -n 100000 -c 50".
	Describe() string
	Prepare(ctx context.Context) error
	Run(ctx context.Context) (Result, error)
	Close() error
}

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
}

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
