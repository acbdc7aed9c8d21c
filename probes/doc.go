// Package probes holds everything of benchctl that touches the kernel: the
// BPF programs (bpf/probes.bpf.c, compiled by bpf2go into the committed
// probes_x86_bpfel.{go,o}), loading and attaching per mode (none, floor,
// enter_exit, exit_only with its TOCTOU options), program stats through
// BPF_ENABLE_STATS, the per-CPU kernel counters and the ring-buffer
// consumer. The syscall table, the event format and its decoder are
// probes/syscalls'.
//
// A run is: Load, StartConsumer, Snapshot, the workload, Detach, Snapshot,
// Consumer.Stop, Close. Detaching before the last snapshot makes the
// kernel's attempted count equal received + dropped exactly.
package probes
