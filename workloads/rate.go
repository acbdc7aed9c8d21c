package workloads

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Pacing of the rate-controlled generator (SyscallsConfig.Rate).
const (
	// rateMaxLag bounds how far a paced thread catches up after it was
	// held up (descheduled, or slower than its share): ops due more than
	// this long ago are given up, so a late thread does not fire a burst
	// that a steady source would never send. What was given up shows as
	// an achieved rate below the target.
	rateMaxLag = 10 * time.Millisecond
	// rateTimerSlack is the timer slack a paced thread asks for, so that
	// its sleeps end close to when the next op is due (Linux's default
	// slack is 50 µs).
	rateTimerSlack = time.Microsecond
)

// SyscallsPerOp is how many syscalls one op of the named mix makes on
// average (the mixed mix's five kinds make 9 syscalls), or 0 for an
// unknown mix. A rate in syscalls/s divided by it is a rate in ops/s.
func SyscallsPerOp(mix string) float64 {
	s, ok := lookupMix(mix)
	if !ok {
		return 0
	}
	n := 0
	for _, k := range s.kinds {
		n += k.syscalls()
	}
	return float64(n) / float64(len(s.kinds))
}

// syscalls is how many syscalls an op of kind k makes.
func (k opKind) syscalls() int {
	if k == opGetpid {
		return 1
	}
	return 2 // write+read, sendto+recvfrom, openat+close, open_by_handle_at+close
}

// pacedLoop does ops at rate ops/s, op i due at start + phase + i/rate,
// until count ops are done (count > 0) or deadline passes (count == 0).
// Between due ops the thread sleeps on an absolute deadline of
// CLOCK_MONOTONIC, so the ops come evenly spread, in runs no longer than
// what fell due during one wake-up (a few tens of µs of ops), not in
// bursts. Ops more than rateMaxLag late are skipped, not caught up.
// It returns the ops done.
func (t *syscallsThread) pacedLoop(ctx context.Context, stop, abort *atomic.Bool, kinds []opKind, count int64, rate float64, start time.Time, phase time.Duration, deadline time.Time) (int64, error) {
	// The timer slack is per thread; the goroutine is locked to its
	// thread for the whole run. Failing to set it only makes sleeps
	// coarser.
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(rateTimerSlack.Nanoseconds()), 0, 0, 0)
	interval := float64(time.Second) / rate
	maxLag := int64(math.Max(1, float64(rateMaxLag)/interval))
	origin := start.Add(phase)
	var done, next int64 // ops done; index of the next op on the schedule
	k := 0
	for count == 0 || done < count {
		if err := ctx.Err(); err != nil {
			return done, context.Cause(ctx)
		}
		if stop.Load() {
			return done, errClosed
		}
		if abort.Load() {
			return done, nil
		}
		now := time.Now()
		if count == 0 && !now.Before(deadline) {
			break
		}
		// Ops due by now: those scheduled at or before now.
		due := int64(float64(now.Sub(origin))/interval) + 1
		if due-next > maxLag {
			next = due - maxLag
		}
		if next >= due {
			at := origin.Add(time.Duration(float64(next) * interval))
			if count == 0 && at.After(deadline) {
				at = deadline
			}
			sleepUntil(at)
			continue
		}
		for ; next < due && (count == 0 || done < count); next++ {
			if err := t.op(kinds[k]); err != nil {
				abort.Store(true)
				return done, err
			}
			if k++; k == len(kinds) {
				k = 0
			}
			done++
			if t.afterOp != nil {
				t.afterOp()
			}
		}
	}
	return done, nil
}

// sleepUntil sleeps until the monotonic time of at (clock_nanosleep with
// TIMER_ABSTIME), retrying on EINTR.
func sleepUntil(at time.Time) {
	d := time.Until(at)
	if d <= 0 {
		return
	}
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		time.Sleep(d)
		return
	}
	ts := unix.NsecToTimespec(now.Nano() + d.Nanoseconds())
	for {
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil)
		if err != unix.EINTR {
			return
		}
	}
}

// rateCheck validates a target rate for NewSyscalls.
func rateCheck(cfg SyscallsConfig, threads int) error {
	if cfg.Rate == 0 {
		return nil
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return fmt.Errorf("validating syscalls config: rate is %g syscalls/s, want a positive number", cfg.Rate)
	}
	perOp := SyscallsPerOp(cfg.Mix)
	if perThread := cfg.Rate / perOp / float64(threads); perThread > MaxRatePerThread {
		return fmt.Errorf("validating syscalls config: rate %g syscalls/s is %.0f ops/s per thread, above the %g one thread can pace; add threads", cfg.Rate, perThread, float64(MaxRatePerThread))
	}
	return nil
}

// MaxRatePerThread is the most ops/s one paced generator thread is asked
// for: a getpid op takes about 0.1 µs untraced here and a traced one
// several times that, so beyond a few million a thread cannot keep up.
const MaxRatePerThread = 2_000_000
