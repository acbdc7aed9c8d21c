package probes

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/benchctl/benchctl/probes/syscalls"
	"github.com/benchctl/benchctl/record"
)

// ConsumerCost is per-event work the consumer does beside draining, so
// that its cost is what a real tracer's userspace costs (see
// docs/scenarios.md#capacity). The zero value does nothing: events are
// only counted.
type ConsumerCost = record.ConsumerCost

// spin busy-waits until d has passed on the monotonic clock (read
// through the vDSO: no syscall): a busy cost of d per event whatever the
// CPU's speed. Time the CPU spends elsewhere in between (another thread,
// the hypervisor) counts towards d, so a consumer that keeps its CPU
// handles exactly 1/d events per second, which is what the capacity
// search's planted-capacity test relies on.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// fdKey names one file descriptor of one process.
type fdKey struct {
	pid uint32
	fd  int64
}

// threadState is what the stateful consumer keeps per thread, as
// libsinsp's thread table does (much reduced).
type threadState struct {
	pid      uint32
	lastNr   int
	lastTs   uint64
	syscalls uint64
	// latencyNs is the last syscall's duration: its exit's time minus its
	// enter's, known only with enter events.
	latencyNs uint64
}

// fdState is what it keeps per file descriptor, as libsinsp's fd table.
type fdState struct {
	openedBy int
	lastNr   int
	ops      uint64
	bytes    int64
}

// stateful is the "stateful" consumer cost: a libsinsp-like userspace.
// An enter event is kept in a table keyed by thread id until its exit
// comes, and joined with it (the parameters of both, which the exit's
// parsing reads); the merged exit of exit_only carries both already and
// needs no table. Every syscall then updates its thread's state and, for
// a syscall on or returning a file descriptor, that descriptor's state
// (close removes it).
type stateful struct {
	pending map[uint32]syscalls.Event
	threads map[uint32]*threadState
	fds     map[fdKey]*fdState
	// joined counts exits joined with their enter, unmatched exits with
	// no enter in the table (its enter was dropped or came before the
	// start), replaced enters whose exit never came.
	joined, unmatched, replaced uint64
	peak                        int
	// params is reused for the joined parameters.
	params []syscalls.Value
}

func newStateful() *stateful {
	return &stateful{
		pending: map[uint32]syscalls.Event{},
		threads: map[uint32]*threadState{},
		fds:     map[fdKey]*fdState{},
	}
}

// fdReturning are syscalls whose result is a new file descriptor.
var fdReturning = map[string]bool{
	"open": true, "openat": true, "openat2": true, "creat": true, "open_by_handle_at": true,
	"socket": true, "accept": true, "accept4": true, "dup": true, "dup2": true, "dup3": true,
	"epoll_create": true, "epoll_create1": true, "eventfd": true, "eventfd2": true,
	"timerfd_create": true, "signalfd": true, "signalfd4": true, "memfd_create": true,
	"pidfd_open": true, "inotify_init": true, "inotify_init1": true,
}

// ioSyscalls move bytes: their result is a byte count.
var ioSyscalls = map[string]bool{
	"read": true, "write": true, "pread64": true, "pwrite64": true, "readv": true, "writev": true,
	"sendto": true, "recvfrom": true, "sendmsg": true, "recvmsg": true,
}

// event handles one decoded event, in timestamp order. ev.Params may be
// kept: the consumer copied them out of the ring.
func (s *stateful) event(ev syscalls.Event) {
	var params []syscalls.Value
	switch {
	case ev.Dir == "enter":
		if _, ok := s.pending[ev.Tid]; ok {
			s.replaced++
		}
		s.pending[ev.Tid] = ev
		s.peak = max(s.peak, len(s.pending))
		return
	case ev.Merged:
		params = ev.Params
	default:
		enter, ok := s.pending[ev.Tid]
		if ok && enter.Nr == ev.Nr {
			delete(s.pending, ev.Tid)
			s.joined++
			s.params = append(append(s.params[:0], ev.Params...), enter.Params...)
			params = s.params
		} else {
			s.unmatched++
			params = ev.Params
		}
		if ok {
			s.updateThread(ev, enter.Ts)
		} else {
			s.updateThread(ev, 0)
		}
		s.updateFd(ev, params)
		return
	}
	s.updateThread(ev, 0)
	s.updateFd(ev, params)
}

func (s *stateful) updateThread(ev syscalls.Event, enterTs uint64) {
	t := s.threads[ev.Tid]
	if t == nil {
		t = &threadState{pid: ev.Pid}
		s.threads[ev.Tid] = t
	}
	t.lastNr, t.lastTs = ev.Nr, ev.Ts
	t.syscalls++
	if enterTs != 0 && ev.Ts >= enterTs {
		t.latencyNs = ev.Ts - enterTs
	}
}

func intParam(params []syscalls.Value, name string) (int64, bool) {
	for _, v := range params {
		if v.Name != name {
			continue
		}
		switch x := v.Val.(type) {
		case int64:
			return x, true
		case uint64:
			return int64(x), true
		case uint32:
			return int64(x), true
		}
		return 0, false
	}
	return 0, false
}

func (s *stateful) updateFd(ev syscalls.Event, params []syscalls.Value) {
	res, hasRes := intParam(params, "res")
	if fdReturning[ev.Syscall] {
		if hasRes && res >= 0 {
			s.fds[fdKey{ev.Pid, res}] = &fdState{openedBy: ev.Nr, lastNr: ev.Nr}
		}
		return
	}
	fd, ok := intParam(params, "fd")
	if !ok || fd < 0 {
		return
	}
	k := fdKey{ev.Pid, fd}
	if ev.Syscall == "close" {
		delete(s.fds, k)
		return
	}
	f := s.fds[k]
	if f == nil {
		// A descriptor opened before the capture began, as libsinsp
		// learns of them from /proc.
		f = &fdState{}
		s.fds[k] = f
	}
	f.lastNr = ev.Nr
	f.ops++
	if ioSyscalls[ev.Syscall] && hasRes && res > 0 {
		f.bytes += res
	}
}

// describeCost is the cost's one-line description, e.g. "spin 2µs".
func describeCost(c ConsumerCost) string {
	switch {
	case c.Stateful && c.Spin > 0:
		return fmt.Sprintf("stateful + spin %s", c.Spin)
	case c.Stateful:
		return "stateful"
	case c.Spin > 0:
		return "spin " + c.Spin.String()
	}
	return ""
}

// threadWait is how long the calling thread has waited on a run queue,
// runnable but not running (the second field of
// /proc/thread-self/schedstat): on a busy machine a consumer that wants
// the CPU waits there. ok is false where the kernel does not keep it.
func threadWait() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ns), true
}
