package scenario

import "slices"

// CountsDrops tells whether one of t's counter regexes has a group named
// drops: without it the tracer's drops cannot be seen, nor its capacity
// searched.
func (t TracerSpec) CountsDrops() bool {
	for _, re := range t.CounterRegexps() {
		if slices.Contains(re.SubexpNames(), "drops") {
			return true
		}
	}
	return false
}
