package probes

import (
	"context"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// CountSyscalls attaches a counting program on sys_exit, runs fn, and
// returns how many of each syscall the whole machine made meanwhile, by
// name. It is the workload's syscall fingerprint: run it in a pass of its
// own, since the counting program has a cost of its own.
func CountSyscalls(ctx context.Context, fn func(context.Context) error) (map[string]uint64, error) {
	if err := CheckEnvironment(); err != nil {
		return nil, err
	}
	spec, err := loadProbes()
	if err != nil {
		return nil, err
	}
	for n := range spec.Programs {
		if n != "count_exit" {
			delete(spec.Programs, n)
		}
	}
	var objs struct {
		Prog   *ebpf.Program `ebpf:"count_exit"`
		Counts *ebpf.Map     `ebpf:"syscall_counts"`
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return nil, loadError("loading the counting program", err)
	}
	defer objs.Prog.Close()
	defer objs.Counts.Close()
	l, err := link.AttachTracing(link.TracingOptions{Program: objs.Prog})
	if err != nil {
		return nil, loadError("attaching the counting program", err)
	}
	runErr := fn(ctx)
	l.Close()
	if runErr != nil {
		return nil, runErr
	}
	table := syscalls.Native()
	out := map[string]uint64{}
	var per []uint64
	for nr := uint32(0); nr < syscalls.MaxSyscallNr; nr++ {
		if err := objs.Counts.Lookup(nr, &per); err != nil {
			return nil, fmt.Errorf("reading syscall counts: %w", err)
		}
		var sum uint64
		for _, n := range per {
			sum += n
		}
		if sum == 0 {
			continue
		}
		name := fmt.Sprintf("syscall_%d", nr)
		if s, ok := table.ByNr(int(nr)); ok {
			name = s.Name
		}
		out[name] = sum
	}
	return out, nil
}
