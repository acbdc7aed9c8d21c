package probes

import (
	"context"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// CountOptions say whose syscalls CountSyscalls counts: with neither
// set, the whole machine's.
type CountOptions struct {
	// CgroupFD, when positive, is a cgroup v2 directory (Cgroup.FD): only
	// tasks in that cgroup and below it are counted.
	CgroupFD int
	// Pid, when positive, is a process: only its threads are counted.
	Pid int
}

// CountSyscalls attaches a counting program on sys_exit, runs fn, and
// returns how many of each syscall opts's tasks (the workload's cgroup,
// or process) made meanwhile, by name. It is the workload's syscall
// fingerprint: run it in a pass of its own, since the counting program
// has a cost of its own.
func CountSyscalls(ctx context.Context, opts CountOptions, fn func(context.Context) error) (map[string]uint64, error) {
	if err := CheckEnvironment(); err != nil {
		return nil, err
	}
	spec, vars, err := loadSpecs()
	if err != nil {
		return nil, err
	}
	for n := range spec.Programs {
		if n != "count_exit" {
			delete(spec.Programs, n)
		}
	}
	if opts.CgroupFD > 0 {
		if err := vars.CgroupFilter.Set(uint64(1)); err != nil {
			return nil, fmt.Errorf("setting the cgroup filter: %w", err)
		}
	}
	if opts.Pid > 0 {
		if err := vars.CountTgid.Set(uint32(opts.Pid)); err != nil {
			return nil, fmt.Errorf("setting the process filter: %w", err)
		}
	}
	var objs struct {
		Prog   *ebpf.Program `ebpf:"count_exit"`
		Counts *ebpf.Map     `ebpf:"syscall_counts"`
		Cgroup *ebpf.Map     `ebpf:"traced_cgroup"`
	}
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		return nil, loadError("loading the counting program", err)
	}
	defer objs.Prog.Close()
	defer objs.Counts.Close()
	defer objs.Cgroup.Close()
	if opts.CgroupFD > 0 {
		if err := objs.Cgroup.Put(uint32(0), uint32(opts.CgroupFD)); err != nil {
			return nil, fmt.Errorf("setting the counted cgroup: %w", err)
		}
	}
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
