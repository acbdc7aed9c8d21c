package memcgv1

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/benchctl/benchctl/internal/cgroupv2"
)

func TestStatField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "memory.stat")
	if err := os.WriteFile(p, []byte("cache 4096\nrss 8192\ntotal_rss 12288\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := StatField(p, "total_rss"); err != nil || !ok || v != 12288 {
		t.Errorf("total_rss = %d, %v, %v", v, ok, err)
	}
	if _, ok, err := StatField(p, "anon"); err != nil || ok {
		t.Errorf("anon: ok %v, %v; want absent", ok, err)
	}
}

// TestGroup makes a memory cgroup where the host has a v1 memory
// hierarchy and root may write it, reads it and removes it.
func TestGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := Mount(); err != nil {
		t.Skipf("no v1 memory hierarchy: %v", err)
	}
	g, err := New("benchctl-memtest-" + filepath.Base(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Peak(); err != nil {
		t.Error(err)
	}
	if _, err := g.Current(); err != nil {
		t.Error(err)
	}
	if _, err := g.Anon(); err != nil {
		t.Error(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Path); !os.IsNotExist(err) {
		t.Errorf("%s: %v, want removed", g.Path, err)
	}
}

// TestRemoveStaleV1: a tracer's memory cgroup left behind by a benchctl
// that is gone is named as its v2 cgroup, and cgroupv2.RemoveStale
// removes it from the v1 memory mount too (cmd/benchctl does so).
func TestRemoveStaleV1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	mnt, err := Mount()
	if err != nil {
		t.Skipf("no v1 memory hierarchy: %v", err)
	}
	// A pid no process has.
	pid := 4194000
	for ; pid > 1; pid-- {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			break
		}
	}
	g, err := New(fmt.Sprintf("benchctl-tracer-%d-1", pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	found, err := cgroupv2.RemoveStale(mnt, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, s := range found {
		if s.Path == g.Path {
			ok = s.Err == nil && s.Killed == 0
		}
	}
	if _, err := os.Stat(g.Path); !ok || !os.IsNotExist(err) {
		t.Errorf("RemoveStale found %+v; %s: %v, want it removed", found, g.Path, err)
	}
}
