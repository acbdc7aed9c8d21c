// Package results is the results file: the one interface between
// measuring and reporting. It holds the schema (runs, variants,
// environment, and the records the probes and workloads fill: program
// stats, kernel counters, consumer stats, workload results, a tracer's
// exit, load costs and refusals, defined in package record and aliased
// here), reading and writing with the schema version, Derive, and what
// can be read from a file: the figures (Measures) of each run, per-variant
// summaries, mode pairs, noise, interval widths and the cost anatomy.
//
// It imports only bench/stats, record and internal/atomicfile: nothing of
// the kernel, so a program that reads results files links no BPF library.
package results
