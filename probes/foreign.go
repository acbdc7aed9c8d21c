package probes

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/benchctl/benchctl/record"
)

// IsSyscallTarget tells whether a program attached to target runs on
// syscalls: the raw tracepoints sys_enter and sys_exit (tp_btf, raw_tp,
// tracepoint raw_syscalls:*) and the per-syscall tracepoints
// syscalls:sys_enter_* and sys_exit_*.
func IsSyscallTarget(target string) bool {
	target = strings.TrimPrefix(strings.TrimPrefix(target, "raw_syscalls:"), "syscalls:")
	return target == "sys_enter" || target == "sys_exit" ||
		strings.HasPrefix(target, "sys_enter_") || strings.HasPrefix(target, "sys_exit_")
}

// SyscallPrograms lists the BPF programs attached to the syscall
// tracepoints (see IsSyscallTarget), whoever attached them, so that a
// run can tell what else runs on every syscall it makes. Two sources:
//
//   - every process's file descriptors (FindBPF: links from their
//     fdinfo, perf events such as bpftrace's with BPF_TASK_FD_QUERY),
//     which opens nothing and names the holder;
//   - with links, cilium/ebpf's link iterator too, for links no process
//     holds (pinned, or held by the kernel only). It opens each link by
//     id, and opening a tracer's objects during its teardown has left an
//     empty prog_array in the kernel for good: ask for it only before
//     any tracer of the scenario started (the runner does so once,
//     before its first run; see docs/external-tracers.md).
//
// Programs are listed once each, sorted by attach point and id. An error
// of the link iterator is returned with what the fd walk found.
func SyscallPrograms(links bool) ([]record.ForeignProgram, error) {
	var out []record.ForeignProgram
	seen := map[[2]string]bool{}
	add := func(p record.ForeignProgram) {
		key := [2]string{strconv.FormatUint(uint64(p.ProgramID), 10), p.AttachPoint}
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	self := os.Getpid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		tree, err := FindBPF([]int{pid})
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, a := range tree.Attached {
			if !IsSyscallTarget(a.Target) {
				continue
			}
			holder := fmt.Sprintf("%s (pid %d)", comm(pid), pid)
			if pid == self {
				holder += ", this benchctl"
			}
			add(record.ForeignProgram{ProgramID: a.ProgramID, AttachPoint: a.AttachPoint, LinkType: a.LinkType, Holder: holder})
		}
	}
	var linkErr error
	have := map[uint32]bool{}
	for _, p := range out {
		have[p.ProgramID] = true
	}
	var kernel *btf.Spec
	it := new(link.Iterator)
	defer it.Close()
	for links && it.Next() {
		info, err := it.Link.Info()
		if err != nil {
			continue
		}
		if have[uint32(info.Program)] {
			continue
		}
		kind, target := "", ""
		switch {
		case info.RawTracepoint() != nil:
			kind, target = "raw_tracepoint", info.RawTracepoint().Name
		case info.Tracing() != nil:
			kind = "tracing"
			if kernel == nil {
				kernel, _ = btf.LoadKernelSpec()
			}
			if kernel != nil {
				if t, err := kernel.TypeByID(info.Tracing().TargetBtfId); err == nil {
					target = strings.TrimPrefix(t.TypeName(), "btf_trace_")
				}
			}
		case info.PerfEvent() != nil && info.PerfEvent().Tracepoint() != nil:
			kind, target = "tracepoint", info.PerfEvent().Tracepoint().Tracepoint
		}
		if target == "" || !IsSyscallTarget(target) {
			continue
		}
		add(record.ForeignProgram{ProgramID: uint32(info.Program), AttachPoint: kind + "/" + target, LinkType: kind,
			Holder: fmt.Sprintf("link %d, held by no process", info.ID)})
	}
	if err := it.Err(); err != nil && !errors.Is(err, os.ErrPermission) {
		linkErr = fmt.Errorf("iterating BPF links: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AttachPoint != out[j].AttachPoint {
			return out[i].AttachPoint < out[j].AttachPoint
		}
		return out[i].ProgramID < out[j].ProgramID
	})
	return out, linkErr
}

// comm is a process's command name, "?" when it is gone.
func comm(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}
