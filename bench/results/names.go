package results

// Names of the variants every scenario gets.
const (
	BaselineName        = "baseline"
	BaselineNoStatsName = "baseline_nostats"
	FloorName           = "floor"
	// NoStatsSuffix ends the name of every variant measured with program
	// stats off.
	NoStatsSuffix = "_nostats"
)

// VariantName is the name Expand gives a variant of a set: "<set>/<mode>",
// then "+<toctou>" for an exit_only TOCTOU option other than none, then
// "_nostats" when program stats are off; e.g. "big/exit_only+stash_nostats".
func VariantName(set string, mode Mode, toctou TOCTOU, stats bool) string {
	name := set + "/" + string(mode)
	if mode == ModeExitOnly && toctou != "" && toctou != TOCTOUNone {
		name += "+" + string(toctou)
	}
	if !stats {
		name += NoStatsSuffix
	}
	return name
}
