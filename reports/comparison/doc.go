// Package comparison prints what `benchctl compare` decided about a
// bench/compare Comparison: the gated figures of base and head with
// their verdicts, the load gate's programs, the figures left out as
// noisy and the gate's outcome, as text for a terminal, markdown for a
// pull-request comment, JSON for machines, and the customSmallerIsBetter
// input of github-action-benchmark.
//
// It reads only the comparison, never live state, and is spelled with
// reports/page like every report. Output is deterministic and tested
// against golden files (go test ./reports/comparison -update rewrites
// them).
package comparison
