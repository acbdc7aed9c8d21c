package atomicfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/benchctl/benchctl/internal/fullfs"
)

// TestWriteReplaces: a new file, then one replaced, with the permissions
// asked for and no temporary file left beside it.
func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	for _, text := range []string{"old\n", "new\n"} {
		if err := Write(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(p); string(got) != text {
			t.Errorf("file holds %q, want %q", got, text)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	onlyFiles(t, dir, "r.json")
}

// TestWriteRefusesNonRegular: a symlink, a directory, a fifo and (as
// root) a character device at the path are left as they were.
func TestWriteRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("target\n"), 0o644)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	paths := map[string]os.FileMode{link: os.ModeSymlink, sub: os.ModeDir, fifo: os.ModeNamedPipe}
	if os.Geteuid() == 0 {
		// A node of /dev/null's numbers (1, 3) of our own: the test
		// must not risk the system's.
		null := filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatal(err)
		}
		paths[null] = os.ModeDevice | os.ModeCharDevice
	}
	for p, mode := range paths {
		err := Write(p, []byte("results\n"), 0o644)
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err = %v, want ErrNotRegular", filepath.Base(p), err)
		}
		fi, lerr := os.Lstat(p)
		if lerr != nil || fi.Mode().Type() != mode {
			t.Errorf("%s: now %v (%v), want %v", filepath.Base(p), fi.Mode().Type(), lerr, mode)
		}
		if exists, err := Check(p); !exists || !errors.Is(err, ErrNotRegular) {
			t.Errorf("Check(%s) = %v, %v", filepath.Base(p), exists, err)
		}
	}
	if got, _ := os.ReadFile(target); string(got) != "target\n" {
		t.Errorf("the symlink's target holds %q", got)
	}
	if exists, err := Check(filepath.Join(dir, "none")); exists || err != nil {
		t.Errorf("Check of a missing path = %v, %v", exists, err)
	}
}

// TestWriteFullFileSystem: on a file system with no room left, Write
// fails and leaves the file that was there byte-identical, and no
// temporary file behind.
func TestWriteFullFileSystem(t *testing.T) {
	dir := fullfs.Mount(t)
	p := filepath.Join(dir, "report.md")
	// Written before the file system fills up.
	old := []byte("# the report of yesterday\n")
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	fullfs.Fill(t, dir)
	err := Write(p, bytes.Repeat([]byte("x"), 64<<10), 0o644)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("err = %v, want ENOSPC", err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, old) {
		t.Errorf("the old file now holds %d bytes %q", len(got), got)
	}
	onlyFiles(t, dir, ".filler", "report.md")
}

// TestCheckDir: a folder that takes files passes, and is left empty; a
// missing one fails.
func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	if err := CheckDir(dir); err != nil {
		t.Errorf("CheckDir(%s) = %v", dir, err)
	}
	onlyFiles(t, dir)
	if err := CheckDir(filepath.Join(dir, "none")); err == nil {
		t.Error("CheckDir of a missing folder passed")
	}
}

func onlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s holds %q, want %q", dir, got, want)
		}
	}
}
