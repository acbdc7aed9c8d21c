package bench

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
)

// TestRunCapacityStopsWithoutPrivileges: an environment error (here no
// privileges to load probes) ends the capacity run with that error,
// which `run` turns into exit 3, rather than a search error per variant.
func TestRunCapacityStopsWithoutPrivileges(t *testing.T) {
	sc, err := scenario.ParseBytes("c.yaml", []byte("workload: {type: syscalls, mix: getpid, duration: 1s}\nsets: {g: [getpid]}\nmodes: [exit_only]\nfloor: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(sc, RunOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	r.tr = deniedTracer{}
	set := results.DefaultCapacitySettings()
	set.Repeats = 2
	res, err := r.RunCapacity(context.Background(), set)
	if !errors.Is(err, probes.ErrPermission) {
		t.Fatalf("error %v, want it to wrap ErrPermission", err)
	}
	if res == nil || res.Complete {
		t.Errorf("results %+v, want an incomplete file", res)
	}
}

// deniedTracer fails every load as an unprivileged process would.
type deniedTracer struct{ tracer }

func (deniedTracer) Load(probes.Config) (probeSet, error) {
	return nil, fmt.Errorf("loading: %w", probes.ErrPermission)
}
