package results

// LoadOf returns the load record of the variant named name: the first
// run's, measured runs first (warm-ups and failed runs loaded the same
// programs), or the first refusal when no run loaded. nil when no run of
// it recorded one (files from before load costs were recorded, the
// baseline).
func (r *Results) LoadOf(name string) *Load {
	var refused *Load
	for _, pass := range []func(Run) bool{
		func(run Run) bool { return !run.Warmup && run.Error == "" },
		func(run Run) bool { return true },
	} {
		for i := range r.Runs {
			run := &r.Runs[i]
			if run.Variant != name || run.Load == nil || !pass(*run) {
				continue
			}
			if run.Load.Refusal != nil {
				if refused == nil {
					refused = run.Load
				}
				continue
			}
			if len(run.Load.Programs) > 0 {
				return run.Load
			}
		}
	}
	return refused
}

// HasLoad tells whether any run of r recorded a load cost or a refusal.
func (r *Results) HasLoad() bool {
	for _, run := range r.Runs {
		if run.Load != nil && (len(run.Load.Programs) > 0 || run.Load.Refusal != nil) {
			return true
		}
	}
	return false
}
