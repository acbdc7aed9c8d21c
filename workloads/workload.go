package workloads

import (
	"context"

	"github.com/benchctl/benchctl/record"
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

// The records a workload fills are package record's, which the results
// schema aliases.
type (
	Result     = record.Result
	Latency    = record.Latency
	TestResult = record.TestResult
)
