package workloads

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSyscallsPerOp(t *testing.T) {
	for mix, want := range map[string]float64{"getpid": 1, "rw_pipe": 2, "sendrecv": 2, "openclose": 2, "mixed": 9.0 / 5, "nope": 0} {
		if got := SyscallsPerOp(mix); got != want {
			t.Errorf("SyscallsPerOp(%s) = %g, want %g", mix, got, want)
		}
	}
}

func TestRateValidation(t *testing.T) {
	for _, cfg := range []SyscallsConfig{
		{Mix: "getpid", Duration: time.Second, Rate: -1},
		{Mix: "getpid", Duration: time.Second, Rate: 3 * MaxRatePerThread},
		{Mix: "rw_pipe", Duration: time.Second, Threads: 2, Rate: 4*MaxRatePerThread + 4},
	} {
		if _, err := NewSyscalls(cfg); err == nil || !strings.Contains(err.Error(), "rate") {
			t.Errorf("NewSyscalls(%+v) = %v, want an error about the rate", cfg, err)
		}
	}
	// Two threads may each pace their share.
	if _, err := NewSyscalls(SyscallsConfig{Mix: "getpid", Duration: time.Second, Threads: 2, Rate: 3_000_000}); err != nil {
		t.Errorf("3M/s on two threads: %v", err)
	}
}

// TestPacedRunIsEven runs getpid at 20k syscalls/s on two threads and
// checks the achieved rate and that no millisecond saw a burst: a flat-out
// loop makes thousands of getpid per millisecond, the paced one 20 on
// average, and at most the catch-up of rateMaxLag after a hold-up.
func TestPacedRunIsEven(t *testing.T) {
	if testing.Short() {
		t.Skip("timed run")
	}
	const rate = 20000.0
	wl, err := NewSyscalls(SyscallsConfig{Mix: "getpid", Threads: 2, Duration: time.Second, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	if err := wl.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Per millisecond since the start, how many ops both threads made.
	var buckets [4000]atomic.Int32
	t0 := time.Now()
	for _, th := range wl.(*syscallsWorkload).workers {
		th.afterOp = func() {
			if ms := time.Since(t0).Milliseconds(); ms < int64(len(buckets)) {
				buckets[ms].Add(1)
			}
		}
	}
	res, err := wl.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.TargetRate != rate {
		t.Errorf("target rate %g, want %g", res.TargetRate, rate)
	}
	// Never faster than asked. Slower only when the threads were held
	// up for more than rateMaxLag and gave up what they missed, which a
	// busy machine does (14k of 20k/s here under a load average of 20):
	// the bound only catches a pacer that sleeps far too long.
	if res.AchievedRate > 1.05*rate || res.AchievedRate < 0.5*rate {
		t.Errorf("achieved %.0f syscalls/s, want at most 5%% above %.0f and at least half of it", res.AchievedRate, rate)
	}
	maxPerMs := int32(0)
	for i := range buckets {
		maxPerMs = max(maxPerMs, buckets[i].Load())
	}
	// A thread held up catches up to rateMaxLag of its ops at once, and
	// both may do so in the same millisecond, once or twice: still a
	// fraction of the thousands a flat-out loop makes in one.
	limit := int32(rate/1000 + 2*rate*rateMaxLag.Seconds() + 2)
	if maxPerMs > limit {
		t.Errorf("%d ops in one millisecond, want at most %d: the run is bursty", maxPerMs, limit)
	}
	t.Logf("achieved %.0f/s, at most %d ops in a millisecond (limit %d)", res.AchievedRate, maxPerMs, limit)
}

// TestUnpacedRunHasNoRate checks a run without a rate records none.
func TestUnpacedRunHasNoRate(t *testing.T) {
	wl, err := NewSyscalls(SyscallsConfig{Mix: "getpid", Count: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Close()
	if err := wl.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := wl.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.TargetRate != 0 || res.AchievedRate != 0 {
		t.Errorf("unpaced run has rates %g/%g", res.TargetRate, res.AchievedRate)
	}
}
