// Package golden holds what the renderers' tests share: the results
// files of bench/compare/testdata, a small results file whose report is
// worked out by hand (Handmade), and the comparison of a renderer's
// output with its golden file in the test's testdata/golden (go test
// -update rewrites them).
package golden
