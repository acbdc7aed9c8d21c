package bench

import (
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// refusal classifies why tracer t did not get ready: from its output once
// it exited (with its exit status), or, while it still runs, only when
// its output names a refused program. nil when there is nothing to say.
func refusal(tr *workloads.Tracer, t scenario.TracerSpec) *results.Load {
	re := t.RefusedRegexp()
	if tr.Alive() != nil {
		exit, _ := tr.Stop()
		return &results.Load{Refusal: probes.ClassifyTracerOutput(tr.Output(), re, exit.Code())}
	}
	if re == nil {
		re = probes.DefaultRefused
	}
	if re.MatchString(tr.Output()) {
		return &results.Load{Refusal: probes.ClassifyTracerOutput(tr.Output(), re, nil)}
	}
	return nil
}

// refused tells whether run failed because the kernel refused to load or
// attach its programs: a result about that kernel, not a reason to stop
// measuring the other variants.
func refused(run results.Run) bool { return run.Load != nil && run.Load.Refusal != nil }
