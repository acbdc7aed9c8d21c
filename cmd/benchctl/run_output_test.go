package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRunOutputRefusals: run -o refuses, with exit 2 and before anything
// runs, every output it must not write, and leaves what is there as it
// was: a device node (as root: a node of /dev/null's numbers of the
// test's own), a symlink, a fifo, a folder, an existing results file or
// report without --force, a results path ending in .md (the report would
// replace it) and the scenario file itself.
func TestRunOutputRefusals(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "tiny.yaml")
	scText := strings.Replace(tinyScenario, "%s", "count: 10", 1)
	os.WriteFile(sc, []byte(scText), 0o644)
	target := filepath.Join(dir, "target.json")
	os.WriteFile(target, []byte("{}\n"), 0o644)
	os.Symlink(target, filepath.Join(dir, "link.json"))
	syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o644)
	os.Mkdir(filepath.Join(dir, "folder.json"), 0o755)
	os.WriteFile(filepath.Join(dir, "old.json"), []byte(`{"schema": 3, "earlier": "results"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("# my notes\n"), 0o644)
	cases := []struct {
		out, want string
		args      []string
	}{
		{"link.json", "symbolic link", nil},
		{"fifo.json", "named pipe", nil},
		{"folder.json", "directory", nil},
		{"old.json", "--force", nil},
		{"notes.json", "notes.md exists", nil}, // the report beside it
		{"x.md", "would replace the results", nil},
		{"x.md", "would replace the results", []string{"--force"}},
		{"tiny.yaml", "scenario file", []string{"--force"}},
	}
	if os.Geteuid() == 0 {
		if err := syscall.Mknod(filepath.Join(dir, "null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			out, want string
			args      []string
		}{"null", "character device", nil}, struct {
			out, want string
			args      []string
		}{"null", "character device", []string{"--force"}})
	}
	before := snapshot(t, dir)
	for _, c := range cases {
		args := append([]string{"run", sc, "-o", filepath.Join(dir, c.out)}, c.args...)
		cmd := benchctl(args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		if exitStatus(err) != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("-o %s %v: exit %d, stderr %q; want exit 2 saying %q", c.out, c.args, exitStatus(err), stderr.String(), c.want)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("the folder changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// snapshot describes every entry of dir: name, type, and a regular
// file's content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(e.Name() + " " + fi.Mode().String())
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString(" " + string(bytes.TrimSpace(data)))
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			dest, _ := os.Readlink(p)
			b.WriteString(" -> " + dest)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestReportOutputRefusals: report -o refuses (exit 2) a path that is
// one of its results files, or not a regular file, and leaves it as it
// was.
func TestReportOutputRefusals(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(fixture("base.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := filepath.Join(dir, "r.json")
	os.WriteFile(r, data, 0o644)
	h := filepath.Join(dir, "h.json")
	os.WriteFile(h, data, 0o644)
	os.Symlink(r, filepath.Join(dir, "link.md"))
	cases := [][]string{
		{"report", r, "-o", r},
		{"report", r, "-o", filepath.Join(dir, ".", "r.json"), "--format", "csv"},
		{"report", r, h, "-o", h},
		{"report", r, "-o", filepath.Join(dir, "link.md")},
		{"report", r, "-o", dir},
	}
	if os.Geteuid() == 0 {
		null := filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, []string{"report", r, "-o", null})
	}
	before := snapshot(t, dir)
	for _, args := range cases {
		if err := run(args); exitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
	if after := snapshot(t, dir); after != before {
		t.Errorf("the folder changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}
