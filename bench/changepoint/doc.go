// Package changepoint finds where a series of measurements changed: the
// E-Divisive means method of Matteson and James (2014), as Apache Otava
// and MongoDB's signal processing use it, with a permutation test for the
// significance of each change point, and a test that tells a slow drift
// (one straight line) from a staircase of steps.
//
// It works on plain values in run order and imports no project package;
// package history reads the series from its store and says what the
// change points mean (medians before and after, builds, thresholds).
package changepoint
