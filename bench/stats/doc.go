// Package stats holds benchctl's statistics over plain samples: the
// median and its 95% confidence interval, the Mann-Whitney U test of two
// samples (golang.org/x/perf/benchmath, as benchstat), outliers, the
// gate's verdict rule, the noise-flag rule and the interval-width rule of
// `repetitions: auto`. It imports nothing of benchctl.
package stats
