package probes

import (
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// TestHeaderOnTheWire reads raw records straight from the rings (no
// decoder) after this thread made getppid calls with exit_only tracing
// it, and checks every header field at the decoder's offsets against a
// second source: ts between two CLOCK_MONOTONIC readings taken around the
// calls, tid and tgid from gettid and getpid, len the record's own
// length, type getppid's merged type, nparams 2 (res and the raw args of
// the generic filler), and the parameter lengths adding up to len.
func TestHeaderOnTheWire(t *testing.T) {
	requireKernel(t)
	getppid, err := syscalls.Lookup("getppid")
	if err != nil {
		t.Fatal(err)
	}
	merged := syscalls.EventType(getppid.Nr, syscalls.KindMerged)
	p, err := Load(Config{Mode: ModeExitOnly, Syscalls: []string{"getppid"}})
	if err != nil {
		t.Fatalf("loading: %+v", err)
	}
	defer p.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid, pid := unix.Gettid(), unix.Getpid()
	t0 := monotonicNs()
	const calls = 5
	for range calls {
		unix.Getppid()
	}
	t1 := monotonicNs()
	if err := p.Detach(); err != nil {
		t.Fatal(err)
	}
	found := 0
	for cpu, m := range p.rings {
		r, err := ringbuf.NewReader(m)
		if err != nil {
			t.Fatalf("ring of CPU %d: %v", cpu, err)
		}
		r.SetDeadline(time.Now())
		for {
			rec, err := r.Read()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			raw := rec.RawSample
			le := binary.LittleEndian
			if len(raw) < syscalls.HeaderLen || le.Uint32(raw[8:]) != uint32(tid) {
				continue
			}
			found++
			if ts := le.Uint64(raw[0:]); ts < t0 || ts > t1 {
				t.Errorf("ts %d outside the calls' window %d..%d", ts, t0, t1)
			}
			if tgid := le.Uint32(raw[12:]); tgid != uint32(pid) {
				t.Errorf("tgid %d, want %d", tgid, pid)
			}
			if n := le.Uint32(raw[16:]); n != uint32(len(raw)) {
				t.Errorf("len field %d, record of %d bytes", n, len(raw))
			}
			if typ := le.Uint16(raw[20:]); typ != merged {
				t.Errorf("type %d, want getppid's merged type %d", typ, merged)
			}
			nparams := le.Uint32(raw[22:])
			if nparams != 2 {
				t.Fatalf("nparams %d, want 2 (res, args)", nparams)
			}
			sum := syscalls.HeaderLen + 2*int(nparams)
			for i := range int(nparams) {
				sum += int(le.Uint16(raw[syscalls.HeaderLen+2*i:]))
			}
			if sum != len(raw) {
				t.Errorf("header + lengths + payloads = %d, record of %d bytes", sum, len(raw))
			}
		}
		r.Close()
	}
	if found != calls {
		t.Errorf("%d records of this thread, want %d", found, calls)
	}
}

// TestHeaderLayout checks the structures the BPF object's BTF holds
// (the scratch buffer, the counters, the snaplen constant) against what
// the Go side assumes. The header itself is written byte by byte into the
// scratch buffer, so it has no type in the BTF: TestHeaderOnTheWire checks
// it against records the kernel really produced.
func TestHeaderLayout(t *testing.T) {
	spec, err := loadProbes()
	if err != nil {
		t.Fatal(err)
	}
	var aux *btf.Struct
	if err := spec.Types.TypeByName("auxbuf", &aux); err != nil {
		t.Fatal(err)
	}
	var data *btf.Array
	for _, m := range aux.Members {
		if m.Name == "data" {
			data, _ = m.Type.(*btf.Array)
		}
	}
	if data == nil || data.Nelems < 2*syscalls.MaxEventSize {
		t.Fatalf("auxbuf.data is %v, want an array of at least %d bytes", data, 2*syscalls.MaxEventSize)
	}
	var counters *btf.Struct
	if err := spec.Types.TypeByName("counters", &counters); err != nil {
		t.Fatal(err)
	}
	// attempted, drops_full, drops_too_large, ia32_skipped: what
	// Snapshot sums.
	if len(counters.Members) != 4 {
		t.Fatalf("struct counters has %d members, want 4", len(counters.Members))
	}
	if v := spec.Variables["snaplen"]; v == nil {
		t.Fatal("no snaplen variable")
	}
}
