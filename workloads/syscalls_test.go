package workloads

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mixNeedsRoot reports whether the mix needs CAP_DAC_READ_SEARCH.
func mixNeedsRoot(name string) bool {
	return name == "open_by_handle_at" || name == "mixed"
}

func TestMixes(t *testing.T) {
	want := []string{"rw_pipe", "sendrecv", "openclose", "open_by_handle_at", "getpid", "mixed"}
	got := Mixes()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Mixes() = %v, want %v", got, want)
	}
	for _, m := range got {
		if MixDescription(m) == "" {
			t.Errorf("mix %s has no description", m)
		}
	}
	if MixDescription("nope") != "" {
		t.Error("unknown mix has a description")
	}
}

func TestNewSyscallsValidation(t *testing.T) {
	_, err := NewSyscalls(SyscallsConfig{Mix: "rw_pipes", Count: 1})
	if err == nil {
		t.Fatal("unknown mix accepted")
	}
	for _, m := range Mixes() {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not list mix %s", err, m)
		}
	}
	for _, cfg := range []SyscallsConfig{
		{Mix: "", Count: 1},
		{Mix: "getpid", Count: -1},
		{Mix: "getpid", Duration: -time.Second},
		{Mix: "getpid", Count: 1, Threads: -1},
		{Mix: "getpid", Count: 1, Threads: maxSyscallThreads + 1},
		{Mix: "getpid"}, // neither count nor duration
	} {
		if _, err := NewSyscalls(cfg); err == nil {
			t.Errorf("NewSyscalls(%+v) accepted", cfg)
		}
	}
	w, err := NewSyscalls(SyscallsConfig{Mix: "getpid", Duration: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "syscalls" || w.Describe() != "syscalls mix=getpid threads=1 duration=2s" {
		t.Errorf("Name %q Describe %q", w.Name(), w.Describe())
	}
}

func newTestSyscalls(t *testing.T, cfg SyscallsConfig) *syscallsWorkload {
	t.Helper()
	if mixNeedsRoot(cfg.Mix) {
		requireRoot(t)
	}
	w, err := NewSyscalls(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w.(*syscallsWorkload)
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// Every mix runs Count ops on every thread, can run again, and Close
// gives back every descriptor and file.
func TestSyscallsMixesCount(t *testing.T) {
	for _, mix := range Mixes() {
		t.Run(mix, func(t *testing.T) {
			const threads, count = 2, 3000
			w := newTestSyscalls(t, SyscallsConfig{Mix: mix, Threads: threads, Count: count})
			before := openFDs(t)
			ctx := context.Background()
			if _, err := w.Run(ctx); err == nil {
				t.Error("Run before Prepare gave no error")
			}
			if err := w.Prepare(ctx); err != nil {
				t.Fatal(err)
			}
			dir := w.dir
			keepsFDs := mix != "getpid" && mix != "openclose"
			if keepsFDs && openFDs(t) <= before {
				t.Error("Prepare opened no descriptors")
			}
			for i := 0; i < 2; i++ {
				res, err := w.Run(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.Ops != threads*count || res.Unit != "ops/s" || res.Throughput <= 0 || res.Wall <= 0 {
					t.Fatalf("result %+v, want %d ops/s", res, threads*count)
				}
				if want := res.Ops / res.Wall.Seconds(); res.Throughput != want {
					t.Errorf("throughput %v, want ops/wall = %v", res.Throughput, want)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if after := openFDs(t); after > before {
				t.Errorf("%d descriptors open after Close, %d before Prepare", after, before)
			}
			if dir != "" {
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("temporary directory %s still there: %v", dir, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := w.Run(ctx); err == nil {
				t.Error("Run after Close gave no error")
			}
		})
	}
}

// straceCounts runs the mix in a helper process under strace -c and
// returns the number of calls of each syscall.
func straceCounts(t *testing.T, mix string, count int) map[string]int {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("strace is not installed: .ci/run installs it, and CI must not skip the syscall-mix checks")
		}
		t.Skip("needs strace to count syscalls (apt-get install strace)")
	}
	out := filepath.Join(t.TempDir(), "strace.out")
	helper := helperCommand(fmt.Sprintf("mix:%s:%d", mix, count))
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-c", "-o", out,
		"-e", "trace=read,write,sendto,recvfrom,openat,close,name_to_handle_at,open_by_handle_at,getpid",
		"--"}, helper.Args...)...)
	cmd.Env = helper.Env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("strace helper: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// % time  seconds  usecs/call  calls  [errors]  syscall
	counts := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		n, err := strconv.Atoi(f[3])
		if err != nil || f[len(f)-1] == "total" {
			continue
		}
		counts[f[len(f)-1]] = n
	}
	return counts
}

// The mixes make the syscalls they claim, counted by strace.
func TestSyscallsMixesMakeTheirSyscalls(t *testing.T) {
	const n = 2000
	for _, tc := range []struct {
		mix  string
		want map[string]int // at least
	}{
		{"rw_pipe", map[string]int{"write": n, "read": n}},
		{"sendrecv", map[string]int{"sendto": n, "recvfrom": n}},
		{"openclose", map[string]int{"openat": n, "close": n}},
		{"open_by_handle_at", map[string]int{"name_to_handle_at": 1, "open_by_handle_at": n, "close": n}},
		{"getpid", map[string]int{"getpid": n}},
		{"mixed", map[string]int{"write": n / 5, "read": n / 5, "sendto": n / 5, "recvfrom": n / 5,
			"openat": n / 5, "open_by_handle_at": n / 5, "close": 2 * n / 5, "getpid": n / 5}},
	} {
		t.Run(tc.mix, func(t *testing.T) {
			if mixNeedsRoot(tc.mix) {
				requireRoot(t)
			}
			got := straceCounts(t, tc.mix, n)
			t.Logf("syscalls made: %v", got)
			for sc, min := range tc.want {
				if got[sc] < min {
					t.Errorf("%s: %d calls, want at least %d (all counts: %v)", sc, got[sc], min, got)
				}
			}
		})
	}
}

func TestSyscallsDuration(t *testing.T) {
	const d = 150 * time.Millisecond
	w := newTestSyscalls(t, SyscallsConfig{Mix: "getpid", Threads: 2, Duration: d})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The threads stop at the first check after the deadline, so the
	// run cannot be shorter than the duration.
	if res.Ops <= 0 || res.Wall < d || res.Throughput <= 0 {
		t.Errorf("result %+v", res)
	}
}

func TestSyscallsCancel(t *testing.T) {
	w := newTestSyscalls(t, SyscallsConfig{Mix: "rw_pipe", Threads: 2, Duration: time.Hour})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := w.Run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want context.DeadlineExceeded", err)
	}
	// The workload is still usable after an interrupted run.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := w.Run(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Run error = %v", err)
	}
}

func TestSyscallsCloseDuringRun(t *testing.T) {
	w := newTestSyscalls(t, SyscallsConfig{Mix: "openclose", Threads: 2, Duration: time.Hour})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := w.dir
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(context.Background())
		done <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		w.mu.Lock()
		running := w.runDone != nil
		w.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not start")
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the run, so its error is already there.
	select {
	case err := <-done:
		if !errors.Is(err, errClosed) {
			t.Errorf("Run error = %v, want errClosed", err)
		}
	default:
		t.Fatal("Close returned before the run ended")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s still there: %v", dir, err)
	}
}

func TestSyscallsCloseWithoutPrepare(t *testing.T) {
	w := newTestSyscalls(t, SyscallsConfig{Mix: "getpid", Count: 1})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Prepare(context.Background()); err == nil {
		t.Error("Prepare after Close gave no error")
	}
}

// One failing thread stops the others and the run reports its error.
func TestSyscallsThreadFailureAbortsRun(t *testing.T) {
	w := newTestSyscalls(t, SyscallsConfig{Mix: "rw_pipe", Threads: 2, Duration: time.Hour})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Make thread 0 read from a write-only descriptor.
	fd, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.fds = append(w.fds, fd)
	w.workers[0].pipeR = fd
	// The timeout only guards against a hang; the run must end by itself.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = w.Run(ctx)
	if err == nil || !errors.Is(err, unix.EBADF) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error = %v, want EBADF from reading the pipe", err)
	}
}
