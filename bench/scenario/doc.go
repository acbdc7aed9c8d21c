// Package scenario reads a scenario file: a workload, syscall sets, the
// probe modes to cross them with, explicit variants, external tracers,
// repetitions, warm-up rounds, ring-buffer size, snaplen and gate
// thresholds. Parsing is strict: each section is a table of its only
// keys, each saying how its value is checked and where it goes, and of
// the checks across its keys, read in the order of the checks; every
// problem is an Error with the file, the line and a hint, and all of
// them are reported at once.
// ${NAME} references take their values from --set or the environment.
// Scenario.Expand turns a scenario into the variants of a run: always a
// baseline (mode none), a floor variant unless turned off, every set ×
// mode (× TOCTOU option for exit_only, × step for the cost anatomy), the
// sets of nostats_sets again with program stats off (and then a
// stats-off baseline), the explicit variants and the external tracers'.
package scenario
