package main

import (
	"fmt"
	"io"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/cgroupv2"
	"github.com/benchctl/benchctl/internal/memcgv1"
)

// tracersNeedCgroup2 fails, as an environment error (exit 3), when a
// variant of vs runs an external tracer and mount (cgroup v2's) fails, or
// no cgroup can be made under it (a read-only cgroupfs: EROFS): a tracer
// runs in a cgroup v2 of its own, so every run of it would fail one by
// one. Checked before anything runs.
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
	mnt, err := mount()
	if err != nil {
		return envError(fmt.Errorf("tracer %s runs in a cgroup v2 of its own, and this host has none: %w", name, err))
	}
	if err := cgroupv2.CheckWritable(mnt); err != nil {
		return envError(fmt.Errorf("tracer %s runs in a cgroup v2 of its own, and none can be made under %s: %w", name, mnt, err))
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

// removeStaleCgroups kills and removes, before a command makes cgroups of
// its own, the cgroups that a benchctl which is gone left under the cgroup
// v2 mount with what still runs in them (cgroupv2.RemoveStale), then the
// tracers' memory cgroups left under the v1 memory mount, and says so on
// w. What it cannot do is a warning: the command goes on.
func removeStaleCgroups(w io.Writer) {
	mnt, err := cgroupv2.Mount()
	if err != nil {
		return // no cgroup v2: no benchctl made cgroups here
	}
	stale, err := cgroupv2.RemoveStale(mnt, 5*time.Second)
	printStale(w, stale, err)
	// A tracer's v1 memory cgroup (memcgv1) has the name of its v2
	// cgroup; with the v2 one's processes killed above it is empty, and
	// only its directory is left to remove.
	if m1, err := memcgv1.Mount(); err == nil {
		stale, err := cgroupv2.RemoveStale(m1, 5*time.Second)
		printStale(w, stale, err)
	}
}

// printStale says what RemoveStale did: one line per cgroup.
func printStale(w io.Writer, stale []cgroupv2.Stale, err error) {
	if err != nil {
		fmt.Fprintf(w, "benchctl: warning: looking for stale cgroups: %v\n", err)
	}
	for _, s := range stale {
		procs := fmt.Sprintf("%d processes", s.Killed)
		if s.Killed == 1 {
			procs = "1 process"
		}
		if s.Err != nil {
			fmt.Fprintf(w, "benchctl: warning: stale cgroup %s (%s) not removed, %s found in it: %v\n", s.Path, s.Why, procs, s.Err)
			continue
		}
		fmt.Fprintf(w, "benchctl: removed stale cgroup %s (%s), killed %s\n", s.Path, s.Why, procs)
	}
}
