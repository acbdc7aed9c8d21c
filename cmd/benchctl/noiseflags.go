package main

import (
	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// noiseFlags are the noise thresholds of run, report and compare: a run
// is flagged as noisy above them. They are applied when a results file
// is read, not stored in it. What the command line sets wins; else the
// scenario's `noise` key (recorded in the results file); else the
// defaults.
type noiseFlags struct {
	fs             *pflag.FlagSet
	steal, outside *float64
}

func (n *noiseFlags) register(fs *pflag.FlagSet) {
	n.fs = fs
	n.steal = fs.Float64("noise-steal", stats.DefaultNoiseStealPct, "flag a run as noisy when steal on a CPU it kept busy exceeds `PCT` percent (default: the scenario's noise.steal_pct, else 5)")
	n.outside = fs.Float64("noise-outside", stats.DefaultNoiseOutsidePct, "flag a run as noisy when CPU used outside benchctl exceeds `PCT` percent of the machine's (default: the scenario's noise.outside_pct, else 5)")
}

// thresholds are the thresholds: the command line's where given, else
// scenario's (nil: the defaults). Bad values are bad usage (exit 2).
func (n *noiseFlags) thresholds(scenario *results.NoiseThresholds) (results.NoiseThresholds, error) {
	t := results.DefaultNoise
	if scenario != nil {
		t = *scenario
	}
	if n.fs.Changed("noise-steal") {
		t.StealPct = *n.steal
	}
	if n.fs.Changed("noise-outside") {
		t.OutsidePct = *n.outside
	}
	if err := stats.CheckNoiseThresholds(t.StealPct, t.OutsidePct); err != nil {
		return t, usageError("%v", err)
	}
	return t, nil
}
