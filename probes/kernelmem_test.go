package probes

import (
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/perf"
)

// TestKernelMemoryKnownMaps loads maps of known sizes into this process,
// as a tracer would, and checks the one figure grows by them: an array of
// 1 MiB of values held by fd, a 1 MiB BPF ring buffer held only inside an
// array of maps (its fd closed, as Falco's libpman leaves its per-CPU
// rings), and a perf event array with a 64 KiB perf buffer per CPU mapped
// (as bpftrace's output). The perf buffers are exact (a metadata page
// more per CPU); the memlock figures (Linux 6.4+) are at least the data
// and at most 64 KiB above it for the maps' own bookkeeping.
func TestKernelMemoryKnownMaps(t *testing.T) {
	requireKernel(t)
	read := func() KernelMemory {
		t.Helper()
		tb, err := FindBPF([]int{os.Getpid()})
		if err != nil {
			t.Fatal(err)
		}
		km, err := ReadKernelMemory(tb)
		if err != nil {
			t.Fatal(err)
		}
		return km
	}
	before := read()

	const mib = 1 << 20
	array, err := ebpf.NewMap(&ebpf.MapSpec{Name: "known_array", Type: ebpf.Array, KeySize: 4, ValueSize: 4096, MaxEntries: mib / 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer array.Close()
	ringSpec := &ebpf.MapSpec{Name: "known_ring", Type: ebpf.RingBuf, MaxEntries: mib}
	outer, err := ebpf.NewMap(&ebpf.MapSpec{Name: "known_rings", Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 1, InnerMap: ringSpec})
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close()
	ring, err := ebpf.NewMap(ringSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := outer.Put(uint32(0), ring); err != nil {
		ring.Close()
		t.Fatal(err)
	}
	ring.Close() // held only inside the array of maps now
	events, err := ebpf.NewMap(&ebpf.MapSpec{Name: "known_perf", Type: ebpf.PerfEventArray})
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	const perCPU = 64 << 10
	rd, err := perf.NewReader(events, perCPU)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}

	after := read()
	page := uint64(os.Getpagesize())
	wantPerf := uint64(ncpu) * (perCPU + page)
	if got := after.PerfBuffers - before.PerfBuffers; got != wantPerf {
		t.Errorf("perf buffers grew by %d bytes, want %d CPUs × (64 KiB + a page) = %d", got, ncpu, wantPerf)
	}
	if len(after.Inner) != len(before.Inner)+1 {
		t.Errorf("maps inside maps of maps: %v, then %v; want the ring more", before.Inner, after.Inner)
	}
	grew := after.Bytes() - before.Bytes()
	t.Logf("grew by %d bytes: memlock %d, inner %d, perf buffers %d (estimate: %v)", grew,
		after.Memlock-before.Memlock, after.InnerMemlock-before.InnerMemlock, after.PerfBuffers-before.PerfBuffers, MemlockIsEstimate())
	if MemlockIsEstimate() {
		t.Skip("memlock before Linux 6.4 is an estimate from declared sizes (a ring buffer's reads 0): its bounds are not checked")
	}
	if got := after.InnerMemlock - before.InnerMemlock; got < mib || got > mib+64<<10 {
		t.Errorf("the ring inside the array of maps: %d bytes, want 1 MiB to 1 MiB + 64 KiB", got)
	}
	if want := 2*mib + wantPerf; grew < want || grew > want+3*64<<10 {
		t.Errorf("kernel memory grew by %d bytes, want the known %d (2 MiB of maps, %d of perf buffers) to 192 KiB more", grew, want, wantPerf)
	}
}
