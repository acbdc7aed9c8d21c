package workloads

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/record"
)

const (
	// maxSyscallThreads bounds SyscallsConfig.Threads.
	maxSyscallThreads = 1024
	// syscallsPayload is the size of what rw_pipe and sendrecv move per op.
	syscallsPayload = 64
	// checkEvery is how many ops a thread does between looks at the
	// clock, the context and Close.
	checkEvery = 256
	// recvTimeout bounds a recvfrom, so that a lost datagram cannot hang
	// a run.
	recvTimeout = 2 * time.Second
)

// opKind is one operation of a mix; each issues a fixed set of syscalls.
type opKind int

const (
	opRWPipe opKind = iota
	opSendRecv
	opOpenClose
	opOpenByHandle
	opGetpid
)

type mixSpec struct {
	name  string
	desc  string
	kinds []opKind
}

func mixSpecs() []mixSpec {
	return []mixSpec{
		{"rw_pipe", "write 64 bytes to a pipe and read them back (write + read per op)",
			[]opKind{opRWPipe}},
		{"sendrecv", "send a 64-byte datagram between two UDP sockets on 127.0.0.1 and receive it (sendto + recvfrom per op)",
			[]opKind{opSendRecv}},
		{"openclose", "open a file in a private temporary directory and close it (openat + close per op)",
			[]opKind{opOpenClose}},
		{"open_by_handle_at", "open a file by the handle name_to_handle_at returned once, and close it (open_by_handle_at + close per op; needs CAP_DAC_READ_SEARCH)",
			[]opKind{opOpenByHandle}},
		{"getpid", "getpid, the cheapest syscall: measures syscall dispatch (getpid per op)",
			[]opKind{opGetpid}},
		{"mixed", "rw_pipe, sendrecv, openclose, open_by_handle_at and getpid in turn, one per op (needs CAP_DAC_READ_SEARCH)",
			[]opKind{opRWPipe, opSendRecv, opOpenClose, opOpenByHandle, opGetpid}},
	}
}

// Mixes returns the names of the syscall mixes of the syscalls workload.
func Mixes() []string {
	specs := mixSpecs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// MixDescription returns a short description of the named mix, saying
// which syscalls one op makes, or "" if there is no such mix.
func MixDescription(name string) string {
	if s, ok := lookupMix(name); ok {
		return s.desc
	}
	return ""
}

func lookupMix(name string) (mixSpec, bool) {
	for _, s := range mixSpecs() {
		if s.name == name {
			return s, true
		}
	}
	return mixSpec{}, false
}

func (s mixSpec) needs(k opKind) bool {
	for _, x := range s.kinds {
		if x == k {
			return true
		}
	}
	return false
}

// syscallsWorkload is the "syscalls" workload.
type syscallsWorkload struct {
	cfg     SyscallsConfig
	mix     mixSpec
	threads int

	stop atomic.Bool // set by Close: running threads return

	mu       sync.Mutex
	prepared bool
	closed   bool
	runDone  chan struct{} // non-nil while a Run is in flight
	dir      string
	fds      []int // every descriptor Prepare opened
	workers  []*syscallsThread
}

// syscallsThread holds what one generator thread works on.
type syscallsThread struct {
	pipeR, pipeW int
	sendFD       int
	recvFD       int
	dest         unix.Sockaddr
	path         string
	mountFD      int
	handle       unix.FileHandle
	buf          []byte
	// afterOp, for tests, runs after every op of a paced run.
	afterOp func()
}

// NewSyscalls returns the built-in syscall generator. Threads goroutines
// each lock their OS thread and repeat the mix's op Count times, or until
// Duration has passed when Count is 0. An op is one iteration of the mix
// (see [MixDescription]); Run reports Throughput as ops/s over the wall
// time from the moment all threads are ready until the last one is done.
func NewSyscalls(cfg SyscallsConfig) (Workload, error) {
	mix, ok := lookupMix(cfg.Mix)
	if !ok {
		return nil, fmt.Errorf("validating syscalls config: unknown mix %q (valid: %s)",
			cfg.Mix, strings.Join(Mixes(), ", "))
	}
	if cfg.Threads < 0 || cfg.Threads > maxSyscallThreads {
		return nil, fmt.Errorf("validating syscalls config: threads is %d, want 0 to %d", cfg.Threads, maxSyscallThreads)
	}
	if cfg.Count < 0 {
		return nil, fmt.Errorf("validating syscalls config: count is %d, must not be negative", cfg.Count)
	}
	if cfg.Duration < 0 {
		return nil, fmt.Errorf("validating syscalls config: duration is %s, must not be negative", cfg.Duration)
	}
	if cfg.Count == 0 && cfg.Duration == 0 {
		return nil, errors.New("validating syscalls config: set count or duration")
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = 1
	}
	if err := rateCheck(cfg, threads); err != nil {
		return nil, err
	}
	return &syscallsWorkload{cfg: cfg, mix: mix, threads: threads}, nil
}

func (w *syscallsWorkload) Name() string { return "syscalls" }

// Describe returns e.g. "syscalls mix=rw_pipe threads=2 count=100000/thread".
func (w *syscallsWorkload) Describe() string {
	d := fmt.Sprintf("syscalls mix=%s threads=%d", w.mix.name, w.threads)
	if w.cfg.Rate > 0 {
		d += fmt.Sprintf(" rate=%.0f/s", w.cfg.Rate)
	}
	if w.cfg.Count > 0 {
		return d + " count=" + strconv.FormatInt(w.cfg.Count, 10) + "/thread"
	}
	return d + " duration=" + w.cfg.Duration.String()
}

// Prepare creates the private temporary directory, files, pipes and
// sockets that the mix needs, one set per thread, and checks once that
// the mix's syscalls work here.
func (w *syscallsWorkload) Prepare(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("preparing syscalls: workload is closed")
	}
	if w.prepared {
		return errors.New("preparing syscalls: already prepared")
	}
	if err := w.prepare(ctx); err != nil {
		w.release()
		return err
	}
	w.prepared = true
	return nil
}

func (w *syscallsWorkload) prepare(ctx context.Context) error {
	needFiles := w.mix.needs(opOpenClose) || w.mix.needs(opOpenByHandle)
	mountFD := -1
	if needFiles {
		dir, err := os.MkdirTemp("", "benchctl-syscalls-")
		if err != nil {
			return fmt.Errorf("creating temporary directory: %w", err)
		}
		w.dir = dir
		if w.mix.needs(opOpenByHandle) {
			fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("opening %s: %w", dir, err)
			}
			w.fds = append(w.fds, fd)
			mountFD = fd
		}
	}
	for i := 0; i < w.threads; i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("preparing syscalls: %w", err)
		}
		t := &syscallsThread{
			pipeR: -1, pipeW: -1, sendFD: -1, recvFD: -1, mountFD: mountFD,
			buf: make([]byte, syscallsPayload),
		}
		if w.mix.needs(opRWPipe) {
			var p [2]int
			if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
				return fmt.Errorf("creating pipe: %w", err)
			}
			w.fds = append(w.fds, p[0], p[1])
			t.pipeR, t.pipeW = p[0], p[1]
		}
		if w.mix.needs(opSendRecv) {
			if err := w.openUDPPair(t); err != nil {
				return err
			}
		}
		if needFiles {
			t.path = filepath.Join(w.dir, "f"+strconv.Itoa(i))
			if err := os.WriteFile(t.path, []byte("benchctl\n"), 0o600); err != nil {
				return fmt.Errorf("creating %s: %w", t.path, err)
			}
		}
		if w.mix.needs(opOpenByHandle) {
			h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, t.path, 0)
			if err != nil {
				if errors.Is(err, unix.EOPNOTSUPP) {
					return fmt.Errorf("getting a file handle for %s: %w (the file system of the temporary directory does not export handles; set TMPDIR to another one)", t.path, err)
				}
				return fmt.Errorf("getting a file handle for %s: %w", t.path, err)
			}
			t.handle = h
		}
		// Check every op once, so a run does not fail half-way.
		for _, k := range w.mix.kinds {
			if err := t.op(k); err != nil {
				if k == opOpenByHandle && errors.Is(err, unix.EPERM) {
					return fmt.Errorf("checking mix %s: %w (open_by_handle_at needs CAP_DAC_READ_SEARCH: run as root)", w.mix.name, err)
				}
				return fmt.Errorf("checking mix %s: %w", w.mix.name, err)
			}
		}
		w.workers = append(w.workers, t)
	}
	return nil
}

// openUDPPair opens two UDP sockets bound to 127.0.0.1 and an ephemeral
// port; the first sends to the second.
func (w *syscallsWorkload) openUDPPair(t *syscallsThread) error {
	open := func() (int, error) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, fmt.Errorf("creating UDP socket: %w", err)
		}
		w.fds = append(w.fds, fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return -1, fmt.Errorf("binding UDP socket to 127.0.0.1: %w", err)
		}
		return fd, nil
	}
	send, err := open()
	if err != nil {
		return err
	}
	recv, err := open()
	if err != nil {
		return err
	}
	tv := unix.NsecToTimeval(recvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(recv, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fmt.Errorf("setting SO_RCVTIMEO: %w", err)
	}
	dest, err := unix.Getsockname(recv)
	if err != nil {
		return fmt.Errorf("reading UDP socket address: %w", err)
	}
	t.sendFD, t.recvFD, t.dest = send, recv, dest
	return nil
}

// op does one operation of kind k.
func (t *syscallsThread) op(k opKind) error {
	switch k {
	case opRWPipe:
		for {
			n, err := unix.Write(t.pipeW, t.buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("writing to pipe: %w", err)
			}
			if n != len(t.buf) {
				return fmt.Errorf("writing to pipe: wrote %d of %d bytes", n, len(t.buf))
			}
			break
		}
		for got := 0; got < len(t.buf); {
			n, err := unix.Read(t.pipeR, t.buf[got:])
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("reading from pipe: %w", err)
			}
			if n == 0 {
				return errors.New("reading from pipe: unexpected end of file")
			}
			got += n
		}
	case opSendRecv:
		for {
			err := unix.Sendto(t.sendFD, t.buf, 0, t.dest)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("sending datagram: %w", err)
			}
			break
		}
		for {
			n, _, err := unix.Recvfrom(t.recvFD, t.buf, 0)
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				return fmt.Errorf("receiving datagram: nothing within %s", recvTimeout)
			}
			if err != nil {
				return fmt.Errorf("receiving datagram: %w", err)
			}
			if n != len(t.buf) {
				return fmt.Errorf("receiving datagram: got %d of %d bytes", n, len(t.buf))
			}
			break
		}
	case opOpenClose:
		fd, err := unix.Openat(unix.AT_FDCWD, t.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening %s: %w", t.path, err)
		}
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("closing %s: %w", t.path, err)
		}
	case opOpenByHandle:
		fd, err := unix.OpenByHandleAt(t.mountFD, t.handle, unix.O_RDONLY|unix.O_CLOEXEC)
		if err != nil {
			return fmt.Errorf("opening %s by handle: %w", t.path, err)
		}
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("closing %s: %w", t.path, err)
		}
	case opGetpid:
		_ = unix.Getpid()
	default:
		return fmt.Errorf("unknown op %d", k)
	}
	return nil
}

// errClosed stops the threads of a Run when Close is called during it.
var errClosed = errors.New("workload closed during the run")

// loop does ops until count is reached (count > 0) or deadline passes
// (count == 0), and returns how many it did. It returns early, without an
// error of its own, when another thread of the run failed (abort).
func (t *syscallsThread) loop(ctx context.Context, stop, abort *atomic.Bool, kinds []opKind, count int64, deadline time.Time) (int64, error) {
	var n int64
	k := 0
	for count == 0 || n < count {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n, context.Cause(ctx)
			}
			if stop.Load() {
				return n, errClosed
			}
			if abort.Load() {
				return n, nil
			}
			if count == 0 && !time.Now().Before(deadline) {
				break
			}
		}
		if err := t.op(kinds[k]); err != nil {
			abort.Store(true)
			return n, err
		}
		if k++; k == len(kinds) {
			k = 0
		}
		n++
	}
	return n, nil
}

// Run starts one goroutine per thread, each locked to its OS thread, and
// measures from the moment all are ready until the last one is done.
// Cancelling ctx stops the threads within a few hundred ops and returns
// an error.
func (w *syscallsWorkload) Run(ctx context.Context) (Result, error) {
	w.mu.Lock()
	if w.closed || !w.prepared {
		w.mu.Unlock()
		return Result{}, errors.New("running syscalls: workload is not prepared")
	}
	if w.runDone != nil {
		w.mu.Unlock()
		return Result{}, errors.New("running syscalls: a run is already in progress")
	}
	runDone := make(chan struct{})
	w.runDone = runDone
	workers := w.workers
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.runDone = nil
		w.mu.Unlock()
		close(runDone)
	}()

	var (
		ready, done sync.WaitGroup
		abort       atomic.Bool // set by the first thread that fails
		start       = make(chan struct{})
		deadline    time.Time // written before start is closed
		begin       time.Time // written before start is closed
		ops         = make([]int64, len(workers))
		errs        = make([]error, len(workers))
		cpu         = make([]time.Duration, len(workers))
	)
	for i, t := range workers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			// The thread's CPU clock, read on it while it is this
			// worker's alone: what the worker used, kernel time (and so
			// the BPF programs run on its syscalls) included.
			cpu0 := threadCPU()
			defer func() { cpu[i] = threadCPU() - cpu0 }()
			ready.Done()
			<-start
			if w.cfg.Rate > 0 {
				// Thread i's ops fall between the others', not with them.
				perThread := w.cfg.Rate / SyscallsPerOp(w.mix.name) / float64(len(workers))
				phase := time.Duration(float64(i) / float64(len(workers)) * float64(time.Second) / perThread)
				ops[i], errs[i] = t.pacedLoop(ctx, &w.stop, &abort, w.mix.kinds, w.cfg.Count, perThread, begin, phase, deadline)
				return
			}
			ops[i], errs[i] = t.loop(ctx, &w.stop, &abort, w.mix.kinds, w.cfg.Count, deadline)
		}()
	}
	ready.Wait()
	begin = time.Now()
	deadline = begin.Add(w.cfg.Duration)
	close(start)
	done.Wait()
	wall := time.Since(begin)

	if err := errors.Join(errs...); err != nil {
		return Result{}, fmt.Errorf("running syscalls mix %s: %w", w.mix.name, err)
	}
	var total int64
	for _, n := range ops {
		total += n
	}
	var used time.Duration
	for _, c := range cpu {
		used += c
	}
	res := Result{Unit: "ops/s", Ops: float64(total), Wall: wall, CPUSeconds: used.Seconds(), CPUMethod: record.WorkloadCPUThreads}
	if s := wall.Seconds(); s > 0 {
		res.Throughput = float64(total) / s
	}
	if w.cfg.Rate > 0 {
		res.TargetRate = w.cfg.Rate
		res.AchievedRate = res.Throughput * SyscallsPerOp(w.mix.name)
	}
	return res, nil
}

// threadCPU reads the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Close stops a Run in flight, waits for it, then closes every descriptor
// and removes the temporary directory. It is idempotent.
func (w *syscallsWorkload) Close() error {
	w.stop.Store(true)
	w.mu.Lock()
	w.closed = true
	runDone := w.runDone
	w.mu.Unlock()
	if runDone != nil {
		<-runDone
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.release()
}

// release closes the descriptors and removes the directory; w.mu is held.
func (w *syscallsWorkload) release() error {
	var errs []error
	for _, fd := range w.fds {
		if err := unix.Close(fd); err != nil {
			errs = append(errs, fmt.Errorf("closing descriptor %d: %w", fd, err))
		}
	}
	w.fds = nil
	w.workers = nil
	if w.dir != "" {
		if err := os.RemoveAll(w.dir); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", w.dir, err))
		}
		w.dir = ""
	}
	w.prepared = false
	return errors.Join(errs...)
}
