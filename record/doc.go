// Package record is the vocabulary the measuring side writes in: the
// records that probes and workloads fill during a run and the names of
// the settings they run under. Probe modes, cost-anatomy steps and
// TOCTOU options; the ring-buffer and snaplen limits; program stats,
// kernel counters, path reads and what the consumer received; the
// consumer's per-event cost; a workload's result and latency; how a
// tracer exited; what loading cost, or why the kernel refused it; the
// programs of others found on the syscall tracepoints.
//
// It imports nothing of the project's and no statistics: probes and
// workloads import it and nothing above them, and bench/results, the
// schema of the results file, aliases its types, so the records keep
// their JSON names and the runner stores them as they are filled.
package record
