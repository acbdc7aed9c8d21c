// Package bench measures what syscall tracing costs: it runs a scenario's
// variants in rounds and writes the results file.
//
// The scenario (package scenario: schema, strict parsing with file:line
// errors, validation and matrix expansion) says what to measure. A Runner
// measures the variants in rounds: every round runs every variant once,
// in an order shuffled from a recorded seed, after warm-up rounds. One
// run prepares the workload, loads and attaches the probes (or starts an
// external tracer and waits until it is ready), starts the ring-buffer
// consumer, enables program stats when the variant wants them,
// snapshots, runs the workload, detaches, snapshots, drains the consumer
// and unloads, with a noise snapshot of what else the machine did. The
// runs go into a results file (package results: the one interface
// between measuring and reporting), written as a checkpoint after every
// run and, when the run is interrupted or fails, marked incomplete.
//
// Beside the runner: package fidelity, the check behind `benchctl
// verify` (the same syscalls traced by enter_exit and exit_only, their
// events compared); package capacity, the capacity search the runner
// drives (its runs are the search's steps); package noise, the /proc
// readings of what else the machine did during a run; package external,
// an external tracer's life as a run sees it (started, ready or refused,
// stopped, its BPF objects gone), which doctor uses too.
//
// The statistics (package stats), the results file (package results) and
// the gate (package compare) read results files only.
package bench
