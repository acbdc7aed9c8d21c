package main

import (
	"flag"

	"github.com/benchctl/benchctl/bench/stats"
)

// noiseFlags are the noise thresholds of run, report and compare: a run
// is flagged as noisy above them. They are applied when a results file
// is read, not stored in it.
type noiseFlags struct{ steal, outside *float64 }

func (n *noiseFlags) register(fs *flag.FlagSet) {
	n.steal = fs.Float64("noise-steal", stats.DefaultNoiseStealPct, "flag a run as noisy when steal on a CPU it kept busy exceeds `PCT` percent")
	n.outside = fs.Float64("noise-outside", stats.DefaultNoiseOutsidePct, "flag a run as noisy when CPU used outside benchctl exceeds `PCT` percent of the machine's")
}

// apply sets the thresholds; bad values are bad usage (exit 2).
func (n *noiseFlags) apply() error {
	if err := stats.SetNoiseThresholds(*n.steal, *n.outside); err != nil {
		return usageError("%v", err)
	}
	return nil
}
