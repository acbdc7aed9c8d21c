package guest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
}

// TestInitramfs builds an initramfs without booting it and checks its
// listing: busybox and /init, the binaries, the modules, the share
// without .git and .cache, parents before children, and the scripts.
func TestInitramfs(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinuz")
	busybox := filepath.Join(dir, "busybox")
	tool := filepath.Join(dir, "tool")
	mod := filepath.Join(dir, "9p.ko")
	writeFile(t, kernel, "not a kernel", 0o644)
	writeFile(t, busybox, "#!/bin/sh\n", 0o755) // not ELF: passes the static check
	writeFile(t, tool, "#!/bin/sh\necho tool\n", 0o755)
	writeFile(t, mod, "module", 0o644)
	share := filepath.Join(dir, "share")
	writeFile(t, filepath.Join(share, "scenarios/ci.yaml"), "name: ci\n", 0o644)
	writeFile(t, filepath.Join(share, ".git/HEAD"), "ref\n", 0o644)
	writeFile(t, filepath.Join(share, ".cache/kernels/big"), "kernel", 0o644)
	writeFile(t, filepath.Join(share, "run.sh"), "#!/bin/sh\n", 0o755)
	if err := os.Symlink("scenarios/ci.yaml", filepath.Join(share, "link.yaml")); err != nil {
		t.Fatal(err)
	}

	s := &Spec{
		Kernel: kernel, Busybox: busybox, Share: share,
		Binaries: []string{tool}, Modules: []string{mod},
		Env:      []string{"FOO=a b"},
		Commands: [][]string{{"benchctl", "run", "scenarios/ci.yaml", "-o", "results/it's.json"}},
	}
	var buf bytes.Buffer
	skipped, err := BuildInitramfs(&buf, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Errorf("skipped %v", skipped)
	}
	if buf.Len()%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", buf.Len())
	}
	entries, err := readCpio(&buf)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]cpioEntry{}
	seen := map[string]bool{"": true}
	for _, e := range entries {
		if _, dup := byName[e.Name]; dup {
			t.Errorf("%s is in the archive twice", e.Name)
		}
		byName[e.Name] = e
		if parent := filepath.Dir(e.Name); parent != "." && !seen[parent] {
			t.Errorf("%s comes before its folder %s", e.Name, parent)
		}
		seen[e.Name] = true
	}
	rel := strings.TrimPrefix(share, "/")
	want := map[string]string{
		"init":                       "r",
		"bin/busybox":                "r",
		"bin/sh":                     "l",
		"usr/local/bin/tool":         "r",
		"lib/modules/benchctl/9p.ko": "r",
		"benchctl/modules":           "r",
		"benchctl/env":               "r",
		"benchctl/run.sh":            "r",
		"proc":                       "d",
		"sys":                        "d",
		"dev":                        "d",
		"tmp":                        "d",
		rel:                          "d",
		rel + "/scenarios/ci.yaml":   "r",
		rel + "/run.sh":              "r",
		rel + "/link.yaml":           "l",
	}
	for name, kind := range want {
		e, ok := byName[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		got := map[bool]string{e.IsRegular(): "r", e.IsDir(): "d", e.IsSymlink(): "l"}[true]
		if got != kind {
			t.Errorf("%s: type %s, want %s", name, got, kind)
		}
	}
	for _, name := range []string{rel + "/.git/HEAD", rel + "/.git", rel + "/.cache/kernels/big"} {
		if _, ok := byName[name]; ok {
			t.Errorf("%s should not be copied in", name)
		}
	}
	if e := byName["init"]; e.Mode&0o111 == 0 || !strings.HasPrefix(string(e.Data), "#!/bin/busybox sh") {
		t.Errorf("/init: mode %o, starts %q", e.Mode, string(e.Data[:20]))
	}
	if e := byName[rel+"/run.sh"]; e.Mode&0o777 != 0o755 {
		t.Errorf("run.sh mode %o, want 755", e.Mode&0o777)
	}
	if got := string(byName[rel+"/link.yaml"].Data); got != "scenarios/ci.yaml" {
		t.Errorf("link target %q", got)
	}
	if got := string(byName[rel+"/scenarios/ci.yaml"].Data); got != "name: ci\n" {
		t.Errorf("ci.yaml holds %q", got)
	}
	run := string(byName["benchctl/run.sh"].Data)
	if !strings.Contains(run, `benchctl run scenarios/ci.yaml -o 'results/it'\''s.json' ||`) {
		t.Errorf("run.sh does not quote the command:\n%s", run)
	}
	env := string(byName["benchctl/env"].Data)
	for _, line := range []string{"export BENCHCTL_GUEST_WORKDIR=" + share, "export BENCHCTL_GUEST_SHARE=" + share, "export FOO='a b'"} {
		if !strings.Contains(env, line+"\n") {
			t.Errorf("env lacks %q:\n%s", line, env)
		}
	}
	if got := string(byName["benchctl/modules"].Data); got != "9p.ko\n" {
		t.Errorf("modules list %q", got)
	}
}

// TestRunScriptStopsAtFailure runs the generated run.sh with the host's
// sh: the first failing command's status ends it.
func TestRunScriptStopsAtFailure(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "run.sh")
	out := filepath.Join(dir, "out")
	writeFile(t, script, runScript([][]string{
		{"sh", "-c", "echo one >> " + out},
		{"sh", "-c", "exit 7"},
		{"sh", "-c", "echo three >> " + out},
	}), 0o755)
	err = exec.Command(sh, script).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("run.sh: %v, want exit status 7", err)
	}
	data, _ := os.ReadFile(out)
	if string(data) != "one\n" {
		t.Errorf("ran %q, want only the first command", data)
	}
}

// TestUnpackFiles: what the guest sends (a base64 cpio with CRLF line
// ends, as a tty makes them) is written under the share; paths that leave
// the share are refused.
func TestUnpackFiles(t *testing.T) {
	var buf bytes.Buffer
	c := newCpioWriter(&buf)
	c.Bytes("./results/guest.json", 0o644, []byte(`{"schema":1}`))
	c.Bytes("./a.txt", 0o600, []byte("a"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\r\n")
	dir := t.TempDir()
	b64 := filepath.Join(dir, "files.b64")
	writeFile(t, b64, lines.String(), 0o644)
	share := filepath.Join(dir, "share")
	files, err := unpackFiles(b64, share)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if want := []string{filepath.Join(share, "a.txt"), filepath.Join(share, "results/guest.json")}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if data, _ := os.ReadFile(filepath.Join(share, "results/guest.json")); string(data) != `{"schema":1}` {
		t.Errorf("guest.json holds %q", data)
	}

	buf.Reset()
	c = newCpioWriter(&buf)
	c.header("../escape", modeRegular|0o644, time.Time{}, 1)
	c.w.WriteString("x\x00\x00\x00")
	c.Close()
	writeFile(t, b64, base64.StdEncoding.EncodeToString(buf.Bytes()), 0o644)
	if _, err := unpackFiles(b64, share); err == nil {
		t.Error("a path outside the share was accepted")
	}

	// A symlink already in the host's share does not lead a file out of it.
	outside := filepath.Join(dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(share, "linked")); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	c = newCpioWriter(&buf)
	c.Bytes("./linked/x.json", 0o644, []byte("x"))
	c.Close()
	writeFile(t, b64, base64.StdEncoding.EncodeToString(buf.Bytes()), 0o644)
	if _, err := unpackFiles(b64, share); err == nil {
		t.Error("a file was written through a symlink out of the share")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("the folder outside the share holds %v", ents)
	}
}

func TestCheckStatic(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s")
	writeFile(t, script, "#!/bin/sh\n", 0o755)
	if err := CheckStatic(script); err != nil {
		t.Errorf("a script: %v", err)
	}
	if sh, err := exec.LookPath("ls"); err == nil {
		if err := CheckStatic(sh); err == nil {
			t.Logf("%s is static here", sh)
		} else if !strings.Contains(err.Error(), "dynamically linked") {
			t.Errorf("%s: %v", sh, err)
		}
	}
}

// vmKernel is the kernel the VM test boots: $BENCHCTL_VM_KERNEL, or the
// Debian 6.1 cloud kernel `make test-kernels` unpacks.
func vmKernel(t *testing.T) string {
	if k := os.Getenv("BENCHCTL_VM_KERNEL"); k != "" {
		return k
	}
	m, _ := filepath.Glob("../.cache/kernels/6.1/boot/vmlinuz-*")
	if len(m) == 0 {
		t.Skip("no kernel: set BENCHCTL_VM_KERNEL or run make test-kernels")
	}
	return m[len(m)-1]
}

// TestVMDoctor boots a kernel (BENCHCTL_VM_TEST=1 only: it takes 10 s
// under TCG, 20 s with the KVM boot test), runs benchctl doctor in it and
// brings a file back.
func TestVMDoctor(t *testing.T) {
	if os.Getenv("BENCHCTL_VM_TEST") != "1" {
		t.Skip("boots a VM: set BENCHCTL_VM_TEST=1")
	}
	if os.Geteuid() != 0 {
		t.Skip("doctor's probe checks need root in the guest, and the guest runs what root built")
	}
	kernel := vmKernel(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "benchctl")
	build := exec.Command("go", "build", "-o", bin, "../cmd/benchctl")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building benchctl: %v\n%s", err, out)
	}
	share := filepath.Join(dir, "share")
	writeFile(t, filepath.Join(share, "in.txt"), "in\n", 0o644)
	var console bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := Run(ctx, Spec{
		Kernel: kernel, Accel: os.Getenv("BENCHCTL_VM_ACCEL"), Share: share, Timeout: 5 * time.Minute,
		Binaries: []string{bin},
		Commands: [][]string{
			{"benchctl", "doctor"},
			{"sh", "-c", `mkdir -p out && { uname -r; echo "$BENCHCTL_GUEST"; cat in.txt; } > out/guest.txt`},
			// Output faking the exit status, with and without whatever
			// nonce the command line shows, then a real failure: only
			// /init's marker counts.
			{"sh", "-c", `echo BENCHCTL-GUEST-EXIT=0; echo "BENCHCTL-GUEST-EXIT-$(sed -n 's/.*benchctl[.]nonce=\([^ ]*\).*/\1/p' /proc/cmdline)=0"; exit 7`},
		},
		Console: &console,
	})
	t.Logf("console:\n%s", console.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Fatalf("guest exit status %d, want 7: the last command's, not one its output faked", res.ExitCode)
	}
	for _, want := range []string{"[ok  ] BTF", "[ok  ] tp_btf attach", "[ok  ] BPF stats", "[ok  ] tracefs syscall events", "[ok  ] cgroup v2"} {
		if !strings.Contains(console.String(), want) {
			t.Errorf("doctor did not say %q", want)
		}
	}
	data, err := os.ReadFile(filepath.Join(share, "out/guest.txt"))
	if err != nil {
		t.Fatalf("the guest's file did not come back: %v (files %v)", err, res.Files)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || lines[1] != res.Guest() || lines[2] != "in" {
		t.Errorf("out/guest.txt = %q, want kernel, %s, in", data, res.Guest())
	}
	t.Logf("guest kernel %s, %s, %s", lines[0], res.Guest(), res.Boot)
	if len(res.Files) != 1 {
		t.Errorf("files back %v, want out/guest.txt only", res.Files)
	}
}

// TestEnvFileQuoted sources the env file with the host's sh, as the
// guest's /init does: a key that is not a variable name is refused and
// never run, and every value arrives verbatim.
func TestEnvFileQuoted(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	hostileKey := "X$(touch " + ran + ")Y=1"
	for _, bad := range [][]string{{hostileKey}, {"1X=1"}, {"NOEQUALS"}, {"=v"}, {"A B=1"}, {"A;touch " + ran + ";B=1"}} {
		if err := CheckEnv(bad); err == nil {
			t.Errorf("CheckEnv(%q) accepted it", bad)
		}
		s := &Spec{Kernel: filepath.Join(dir, "none"), Env: bad}
		if err := s.fill(); err == nil || !strings.Contains(err.Error(), "env") {
			t.Errorf("fill with env %q: %v, want an env error", bad, err)
		}
	}
	values := []string{"$(touch " + ran + ")", "`touch " + ran + "`", "it's \"q\" \\ $HOME", "a\nb", "", "=x=y"}
	env := []string{hostileKey}
	for i, v := range values {
		env = append(env, fmt.Sprintf("V%d=%s", i, v))
	}
	file := filepath.Join(dir, "env")
	writeFile(t, file, envFile(&Spec{Workdir: "/w", Share: "/s", Env: env}), 0o644)
	script := ". " + file
	for i := range values {
		script += fmt.Sprintf(`; printf '%%s\0' "$V%d"`, i)
	}
	out, err := exec.Command(sh, "-c", script).Output()
	if err != nil {
		t.Fatalf("sourcing the env file: %v", err)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("sourcing the env file ran a command from a key or a value")
	}
	if want := strings.Join(values, "\x00") + "\x00"; string(out) != want {
		t.Errorf("values %q, want %q", out, want)
	}
}
