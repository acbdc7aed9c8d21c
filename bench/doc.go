// Package bench measures what syscall tracing costs: it runs a
// scenario's variants in rounds and writes the results file.
//
// A scenario file (ParseScenario) names a workload, syscall sets, the
// probe modes to cross them with, extra explicit variants, repetitions,
// warm-up rounds, ring-buffer size, snaplen and gate thresholds. Parsing
// is strict: every problem is a ScenarioError with the file, the line and
// a hint. Scenario.Expand turns it into the variants of a run: always a
// baseline (mode none), a floor variant unless turned off, every set ×
// mode (× TOCTOU option for exit_only), the sets of nostats_sets again
// with program stats off (and then a stats-off baseline), and the
// explicit variants.
//
// A Runner measures the variants in rounds: every round runs every
// variant once, in an order shuffled from a recorded seed, after warm-up
// rounds. One run prepares the workload, loads and attaches the probes,
// starts the ring-buffer consumer, enables program stats when the
// variant wants them, snapshots, runs the workload, detaches, snapshots,
// drains the consumer and unloads. The runs go into a results file
// (package results: the one interface between measuring and
// reporting), written as a
// checkpoint after every run and, when the run is interrupted or fails,
// marked incomplete. results.Derive computes the per-run figures, including the
// throughput change against the baseline of the same round with the same
// stats state.
//
// The statistics (package stats), the results file (package results) and
// the gate (package compare) are packages of their own below bench: they
// read results files only.
package bench
