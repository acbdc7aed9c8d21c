package memcgv1

import (
	"os"
	"path/filepath"
	"testing"
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
