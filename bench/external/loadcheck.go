package external

import (
	"context"
	"fmt"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
)

// LoadCheck says whether one external tracer of a scenario loads on this
// kernel: what `doctor SCENARIO.yaml` prints before a run would find out.
type LoadCheck struct {
	Tracer string
	Set    string // the set whose arguments it was started with
	// Loaded: it got ready (its programs attached, its ready line seen).
	Loaded             bool
	Ready              time.Duration
	Programs, Attached int
	// Refusal is the kernel's refusal, classified as a run classifies it.
	Refusal *results.Refusal
	// Err is any other failure: the tracer is missing, did not start, or
	// left BPF objects behind when it stopped.
	Err error
}

// CheckTracerLoads starts each tracer of sc that names is empty or holds,
// one at a time with the arguments of its first set, waits until it is
// ready or gives up, and stops it, waiting until the kernel freed its
// programs and maps. No workload runs and no program stats are enabled.
func CheckTracerLoads(ctx context.Context, sc *scenario.Scenario, names map[string]bool) []LoadCheck {
	var out []LoadCheck
	for _, t := range sc.Tracers {
		if len(names) > 0 && !names[t.Name] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		out = append(out, checkTracerLoad(ctx, t))
	}
	return out
}

func checkTracerLoad(ctx context.Context, t scenario.TracerSpec) LoadCheck {
	c := LoadCheck{Tracer: t.Name}
	if len(t.SetOrder) > 0 {
		c.Set = t.SetOrder[0]
	}
	tr, err := Start(ctx, t, c.Set)
	if err != nil {
		c.Err = err
		return c
	}
	defer tr.Close()
	ready, err := tr.WaitReady(ctx)
	if err != nil {
		if l := tr.Refusal(); l != nil && l.Refusal != nil && l.Refusal.Kind != results.RefusedExited {
			c.Refusal = l.Refusal
		} else {
			c.Err = err
		}
		return c
	}
	c.Loaded, c.Ready = true, ready
	held, _, _ := tr.Find()
	c.Programs, c.Attached = len(held.Programs), len(held.Attached)
	if _, err := tr.Stop(); err != nil {
		c.Err = fmt.Errorf("stopping tracer %s: %w", t.Name, err)
		return c
	}
	// Nothing lists BPF objects while the tracer's are torn down.
	c.Err = tr.WaitGone()
	return c
}
