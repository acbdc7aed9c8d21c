package mountinfo

import (
	"os"
	"testing"
)

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		"/sys/fs/cgroup":         "/sys/fs/cgroup",
		`/mnt/with\040space`:     "/mnt/with space",
		`/a\134b`:                `/a\b`,
		`/trailing\04`:           `/trailing\04`,
		`/not\999octal\011tab\n`: "/not\\999octal\ttab\\n",
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFind: proc is mounted wherever this runs, at /proc; a file system
// type nobody has is not found.
func TestFind(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	mnt, ok, err := Find(func(fstype string, _ []string) bool { return fstype == "proc" })
	if err != nil || !ok || mnt != "/proc" {
		t.Errorf("Find(proc) = %q, %v, %v; want /proc", mnt, ok, err)
	}
	if mnt, ok, err := Find(func(fstype string, _ []string) bool { return fstype == "no-such-fs" }); ok || err != nil {
		t.Errorf("Find(no-such-fs) = %q, %v, %v; want not found", mnt, ok, err)
	}
}
