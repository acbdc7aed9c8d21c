// Package compare is the pull-request gate: it compares a base and a head
// results file (or the base and head tracers of one interleaved file),
// every gated figure of every variant, and gives each a verdict at the
// thresholds of the base file's scenario. It reads results files only.
package compare
