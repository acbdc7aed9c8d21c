// Package funclen holds one test: no function outside tests in the
// folders it covers is longer than 100 lines, tables (a function that
// returns or assigns one composite literal) excepted. It covers the
// measuring side's bottom, probes, workloads and record; a folder whose
// long functions have been split joins its list.
package funclen
