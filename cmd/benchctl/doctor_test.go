package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/internal/tracertest"
	"github.com/benchctl/benchctl/probes"
	"github.com/cilium/ebpf"
)

// TestDoctor runs `benchctl doctor` as a user does. As root on a machine
// that can load probes (CI), every required check passes and it exits 0,
// having really attached the floor programs; as another user it exits 3
// and says that privileges are missing.
func TestDoctor(t *testing.T) {
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	cmd := benchctl("doctor")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if os.Geteuid() != 0 {
		if exitStatus(err) != 3 || !strings.Contains(text, "privileges") {
			t.Errorf("doctor as a user: exit %d, output:\n%s\nwant exit 3 naming privileges", exitStatus(err), text)
		}
		return
	}
	if probes.CheckEnvironment() != nil {
		if exitStatus(err) != 3 {
			t.Errorf("doctor where probes cannot load: exit %d, want 3", exitStatus(err))
		}
		return
	}
	if err != nil {
		t.Fatalf("doctor: %v; output:\n%s", err, text)
	}
	for _, want := range []string{"[ok  ] privileges", "[ok  ] BTF", "[ok  ] tp_btf attach", "floor programs loaded and attached", "[ok  ] BPF stats"} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[FAIL]") {
		t.Errorf("doctor exited 0 with a failed check:\n%s", text)
	}
}

// TestDoctorScenarioTracers: `doctor SCENARIO.yaml` starts each external
// tracer once. bpftrace loads here; a tracer that prints libbpf's refusal
// and the verifier's last lines, then exits 7 (as scap-open does when the
// kernel refuses its driver), is reported refused, with the program, the
// verifier's line and the instructions, and doctor exits 3; a tracer that
// exits for another reason is a failure that quotes it. Nothing is left
// loaded.
func TestDoctorScenarioTracers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 || probes.CheckEnvironment() != nil {
		t.Skip("starting tracers needs root and a kernel that loads probes (CI has both)")
	}
	tracertest.Bpftrace(t)
	dir := t.TempDir()
	sc := filepath.Join(dir, "doctor.yaml")
	yaml := `name: doctor
workload: {type: syscalls, mix: getpid, threads: 1, count: 1000}
sets: {getpid: [getpid]}
floor: false
tracers:
  bt:
    argv: [bpftrace, -e]
    sets: {getpid: ['tracepoint:raw_syscalls:sys_exit /args->id == 39/ { @x = count(); }']}
    ready: {output: 'Attaching \d+ probes?'}
  refused:
    argv: [sh, -c, 'echo "libbpf: prog ''my_prog'': BPF program load failed: Argument list too long"; echo "BPF program is too large. Processed 1000001 insn"; echo "processed 1000001 insns (limit 1000000)"; exit 7']
    sets: {getpid: []}
  broken:
    argv: [sh, -c, 'echo "error while loading shared libraries: libx.so.1"; exit 127']
    sets: {getpid: []}
`
	if err := os.WriteFile(sc, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	before := programIDs(t)
	out, err := benchctl("doctor", sc).CombinedOutput()
	text := string(out)
	if exitStatus(err) != 3 {
		t.Errorf("doctor with refused tracers: exit %d, want 3; output:\n%s", exitStatus(err), text)
	}
	for _, want := range []string{
		"[ok  ] tracer bt",
		"[FAIL] tracer refused             refused by this kernel: verifier refused my_prog after 1000001 insns: BPF program is too large. Processed 1000001 insn",
		"[FAIL] tracer broken",
		"libx.so.1",
		"2 tracer(s) of doctor do not load here",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, text)
		}
	}
	// Every program that appeared during doctor goes: the kernel frees a
	// closed program a moment after its last reference (the floor check's,
	// bpftrace's).
	var appeared []uint32
	for id := range programIDs(t) {
		if !before[id] {
			appeared = append(appeared, uint32(id))
		}
	}
	if err := probes.WaitGone(appeared, nil, 30*time.Second); err != nil {
		t.Errorf("after doctor: %v", err)
	}
	// --only narrows the check to the tracers of the matching variants.
	out, err = benchctl("doctor", sc, "--only", "getpid/bt").CombinedOutput()
	if err != nil || strings.Contains(string(out), "tracer refused") {
		t.Errorf("doctor --only getpid/bt: %v; output:\n%s", err, out)
	}
}

// programIDs lists the IDs of the loaded BPF programs, opening none (make
// test runs one package at a time, so no other test loads programs
// meanwhile).
func programIDs(t *testing.T) map[ebpf.ProgramID]bool {
	t.Helper()
	ids := map[ebpf.ProgramID]bool{}
	id := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		ids[next], id = true, next
	}
}
