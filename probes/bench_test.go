package probes

import (
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// These benchmarks give the figures of the probes issue; run them with
// `make bench` (as root). They report the kernel's own per-program
// averages (BPF_ENABLE_STATS), not Go's ns/op, which includes the syscall.

func requireBench(b *testing.B) {
	if testing.Short() {
		b.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	if err := CheckEnvironment(); err != nil {
		b.Skip(err)
	}
}

// syscallLoad makes getppid calls from every CPU for d.
func syscallLoad(d time.Duration, threads int) uint64 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total uint64
	deadline := time.Now().Add(d)
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var n uint64
			for time.Now().Before(deadline) {
				for j := 0; j < 1000; j++ {
					unix.Getppid()
				}
				n += 1000
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total
}

// BenchmarkDispatch: average ns per program run for floor (an empty
// program), and for the dispatchers when only open_by_handle_at, which
// nothing calls, is interesting: the pure dispatch cost.
func BenchmarkDispatch(b *testing.B) {
	requireBench(b)
	stats, _, err := EnableStats()
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"floor", Config{Mode: ModeFloor}},
		{"enter_exit/open_by_handle_at", Config{Mode: ModeEnterExit, Syscalls: []string{"open_by_handle_at"}}},
		{"exit_only/open_by_handle_at", Config{Mode: ModeExitOnly, Syscalls: []string{"open_by_handle_at"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := Load(tc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			before, _ := p.Snapshot()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				syscallLoad(time.Second, 1)
			}
			b.StopTimer()
			after, _ := p.Snapshot()
			for _, ps := range after.Sub(before).Programs {
				b.ReportMetric(ps.AvgNs(), "ns/"+ps.Name)
			}
		})
	}
}

// BenchmarkDrain: one thread makes getppid calls as fast as it can with
// both dispatchers tracing getppid (two events per call) while the
// consumer drains on the other CPU; reports the events per second received
// and the drops (zero drops means the consumer kept up with the producer).
// The "+decode" variants also decode every event and deliver it in
// timestamp order across the rings, as benchctl trace does.
func BenchmarkDrain(b *testing.B) {
	requireBench(b)
	for _, variant := range []struct {
		mode   Mode
		decode bool
	}{{ModeEnterExit, false}, {ModeExitOnly, false}, {ModeEnterExit, true}, {ModeExitOnly, true}} {
		mode := variant.mode
		name := string(mode)
		var opts ConsumerOptions
		var delivered uint64
		if variant.decode {
			name += "+decode"
			opts.OnEvent = func(syscalls.Event) { delivered++ }
		}
		b.Run(name, func(b *testing.B) {
			var events, drops uint64
			var elapsed time.Duration
			var cpu float64
			for i := 0; i < b.N; i++ {
				p, err := Load(Config{Mode: mode, Syscalls: []string{"getppid"}})
				if err != nil {
					b.Fatal(err)
				}
				delivered = 0
				c, err := p.StartConsumer(opts)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				syscallLoad(2*time.Second, max(1, runtime.NumCPU()-1))
				p.Detach()
				snap, _ := p.Snapshot()
				u, _ := c.Stop()
				if variant.decode && delivered != u.Decoded {
					b.Fatalf("delivered %d of %d decoded events", delivered, u.Decoded)
				}
				elapsed += time.Since(start)
				events += u.Events
				drops += snap.Counters.Drops()
				cpu += u.CPUSeconds
				p.Close()
			}
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(drops), "drops")
			b.ReportMetric(cpu/elapsed.Seconds()*100, "consumer-cpu-%")
		})
	}
}

// openLoop opens and closes a file in a loop on one thread for d and
// returns the number of openat calls made.
func openLoop(b *testing.B, path string, d time.Duration) uint64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var n uint64
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for j := 0; j < 100; j++ {
			fd, err := unix.Openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			unix.Close(fd)
		}
		n += 100
	}
	return n
}

// BenchmarkTOCTOU: the in-kernel cost of each exit_only TOCTOU option
// against enter_exit, tracing openat under an open/close loop. Reports per
// program average ns, the total kernel ns of all programs per openat call,
// and openat calls per second (which also pays for what BPF stats do not
// see: the syscall tracepoint machinery the per-syscall programs use).
func BenchmarkTOCTOU(b *testing.B) {
	requireBench(b)
	if err := ensureTracefs(); err != nil {
		b.Skip(err)
	}
	stats, _, err := EnableStats()
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	path := b.TempDir() + "/file-opened-in-a-loop"
	os.WriteFile(path, []byte("x"), 0o600)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"none", Config{Mode: ModeNone}},
		{"enter_exit", Config{Mode: ModeEnterExit, Syscalls: []string{"openat"}}},
		{"exit_only-none", Config{Mode: ModeExitOnly, Syscalls: []string{"openat"}}},
		{"exit_only-stash", Config{Mode: ModeExitOnly, TOCTOU: TOCTOUStash, Syscalls: []string{"openat"}}},
		{"exit_only-enter_event", Config{Mode: ModeExitOnly, TOCTOU: TOCTOUEnterEvent, Syscalls: []string{"openat"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p, err := Load(tc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			c, err := p.StartConsumer(ConsumerOptions{})
			if err != nil {
				b.Fatal(err)
			}
			before, _ := p.Snapshot()
			start := time.Now()
			var opens uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				opens += openLoop(b, path, time.Second)
			}
			b.StopTimer()
			elapsed := time.Since(start)
			p.Detach()
			after, _ := p.Snapshot()
			u, _ := c.Stop()
			var total uint64
			for _, ps := range after.Sub(before).Programs {
				b.ReportMetric(ps.AvgNs(), "ns/"+ps.Name)
				total += ps.RunTimeNs
			}
			b.ReportMetric(float64(total)/float64(opens), "kernel-ns/openat")
			b.ReportMetric(float64(opens)/elapsed.Seconds(), "openat/s")
			if u.Events > 0 {
				b.ReportMetric(float64(u.Bytes)/float64(u.Events), "bytes/event")
			}
			b.ReportMetric(float64(after.Counters.Drops()), "drops")
		})
	}
}
