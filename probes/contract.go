package probes

import (
	"context"
	"errors"
	"io"
)

// Errors callers map to exit code 3 (the environment cannot run probes).
var (
	ErrPermission = errors.New("insufficient privileges to load BPF programs (run as root, or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)")
	ErrNoBTF      = errors.New("kernel has no BTF (/sys/kernel/btf/vmlinux missing): a kernel built with CONFIG_DEBUG_INFO_BTF=y is required")
)

// Probes is a loaded and attached set of programs. Close detaches and
// unloads everything.
type Probes struct{}

// Load loads and attaches the programs cfg asks for. ModeNone returns a
// Probes with nothing attached whose snapshots are empty.
func Load(cfg Config) (*Probes, error) { return nil, errors.New("not implemented") }

// Close detaches and unloads everything; safe to call twice.
func (p *Probes) Close() error { return nil }

// Snapshot reads the cumulative stats of every attached program and the
// kernel counters.
func (p *Probes) Snapshot() (Snapshot, error) { return Snapshot{}, errors.New("not implemented") }

// EnableStats turns on BPF program run-time statistics until the returned
// closer is closed. method is "BPF_ENABLE_STATS" or "sysctl".
func EnableStats() (closer io.Closer, method string, err error) {
	return nil, "", errors.New("not implemented")
}

// ConsumerOptions configure the ring-buffer consumer.
type ConsumerOptions struct {
	// OnEvent, when set, receives every event decoded; it runs on the
	// consumer goroutine and must not keep ev.Raw.
	OnEvent func(ev Event)
}

// Consumer drains every CPU's ring buffer while a workload runs.
type Consumer struct{}

// StartConsumer starts draining p's ring buffers.
func (p *Probes) StartConsumer(opts ConsumerOptions) (*Consumer, error) {
	return nil, errors.New("not implemented")
}

// Stop drains what is left, stops, and returns what was received.
func (c *Consumer) Stop() (ConsumerStats, error) { return ConsumerStats{}, errors.New("not implemented") }

// CountSyscalls attaches a counting program on sys_exit, runs fn, and
// returns how many of each syscall the whole machine made meanwhile.
func CountSyscalls(ctx context.Context, fn func(context.Context) error) (map[string]uint64, error) {
	return nil, errors.New("not implemented")
}
