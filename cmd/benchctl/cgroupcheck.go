package main

import (
	"fmt"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
)

// tracersNeedCgroup2 fails, as an environment error (exit 3), when a
// variant of vs runs an external tracer and mount (cgroup v2's) fails: a
// tracer runs in a cgroup v2 of its own, so every run of it would fail one
// by one. Checked before anything runs.
func tracersNeedCgroup2(vs []results.Variant, mount func() (string, error)) error {
	var name string
	for _, v := range vs {
		if v.Tracer != "" {
			name = v.Tracer
			break
		}
	}
	if name == "" {
		return nil
	}
	if _, err := mount(); err != nil {
		return envError(fmt.Errorf("tracer %s runs in a cgroup v2 of its own, and this host has none: %w", name, err))
	}
	return nil
}

// uncheckedTracers names the shell tracers of vs whose program could not
// be checked before they run, one line each.
func uncheckedTracers(sc *scenario.Scenario, vs []results.Variant) []string {
	used := map[string]bool{}
	for _, v := range vs {
		used[v.Tracer] = true
	}
	var out []string
	for _, t := range sc.Tracers {
		if used[t.Name] && t.Unchecked != "" {
			out = append(out, fmt.Sprintf("tracer %s: %s", t.Name, t.Unchecked))
		}
	}
	return out
}
