package probes

import (
	"testing"

	"github.com/cilium/ebpf"
)

// TestInnerMaps: benchctl's own per-CPU rings sit in the array of maps
// "rings"; given only the outer map's id, InnerMaps finds one ring per
// CPU with at least the ring's size in memlock each (6.4+; before, a
// ring buffer's memlock reads 0).
func TestInnerMaps(t *testing.T) {
	requireKernel(t)
	p, err := Load(Config{Mode: ModeExitOnly, Syscalls: []string{"getpid"}, RingSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	info, err := p.coll.Maps["rings"].Info()
	if err != nil {
		t.Fatal(err)
	}
	outer, _ := info.ID()
	inner, memlock, err := InnerMaps([]uint32{uint32(outer)})
	if err != nil {
		t.Fatal(err)
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	if len(inner) != ncpu {
		t.Errorf("%d inner maps, want one ring per CPU (%d)", len(inner), ncpu)
	}
	for _, rb := range p.rings {
		ri, _ := rb.Info()
		id, _ := ri.ID()
		found := false
		for _, x := range inner {
			found = found || x == uint32(id)
		}
		if !found {
			t.Errorf("ring %d not found among %v", id, inner)
		}
	}
	if !MemlockIsEstimate() && memlock < uint64(ncpu)<<20 {
		t.Errorf("inner maps' memlock %d, want at least %d rings of 1 MiB", memlock, ncpu)
	}
	// Asked again with the inner ids known, nothing is new.
	again, _, err := InnerMaps(append([]uint32{uint32(outer)}, inner...))
	if err != nil || len(again) != 0 {
		t.Errorf("with the inner ids known: %v, %v; want none", again, err)
	}
}

func TestReleaseBefore(t *testing.T) {
	for _, c := range []struct {
		rel  string
		want bool
	}{{"6.1.0-57-cloud-amd64", true}, {"6.3.13", true}, {"6.4.0", false}, {"6.12.118+deb12-cloud-amd64", false}, {"6.18.44-fc-v1045", false}, {"5.15.0", true}, {"junk", false}} {
		if got := releaseBefore(c.rel, 6, 4); got != c.want {
			t.Errorf("releaseBefore(%q, 6, 4) = %v, want %v", c.rel, got, c.want)
		}
	}
}
