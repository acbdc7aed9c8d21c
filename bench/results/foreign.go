package results

import "slices"

// ForeignSummary is what foreign programs a file's measured runs saw:
// how many runs had any, and the distinct programs (by attach point,
// program id and holder).
func (r *Results) ForeignSummary() (runs int, programs []ForeignProgram) {
	for _, run := range r.Measured() {
		if len(run.Foreign) == 0 {
			continue
		}
		runs++
		for _, f := range run.Foreign {
			if !slices.Contains(programs, f) {
				programs = append(programs, f)
			}
		}
	}
	return runs, programs
}
