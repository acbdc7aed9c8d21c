package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestTracersNeedCgroup2: on a host without cgroup v2, a scenario with an
// external tracer exits 3 before anything runs; one without needs none.
func TestTracersNeedCgroup2(t *testing.T) {
	none := func() (string, error) { return "", errors.New("no cgroup v2 hierarchy is mounted") }
	here := func() (string, error) { return "/sys/fs/cgroup", nil }
	withTracer := []results.Variant{{Name: "base"}, {Name: "falco", Tracer: "scap-open"}}
	own := []results.Variant{{Name: "base"}, {Name: "s/exit_only"}}
	err := tracersNeedCgroup2(withTracer, none)
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "scap-open") || !strings.Contains(err.Error(), "cgroup v2") {
		t.Errorf("tracer, no cgroup v2: exit %d, %v; want exit 3 naming the tracer and cgroup v2", exitCode(err), err)
	}
	if err := tracersNeedCgroup2(withTracer, here); err != nil {
		t.Errorf("tracer, cgroup v2 here: %v", err)
	}
	if err := tracersNeedCgroup2(own, none); err != nil {
		t.Errorf("no tracer, no cgroup v2: %v", err)
	}
}
