package workloads

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestCommand(t *testing.T, cfg CommandConfig) Workload {
	t.Helper()
	w, err := NewCommand(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCommandThroughputRegex(t *testing.T) {
	for _, tc := range []struct {
		name, script, unit string
		want               float64
		wantUnit           string
	}{
		{"last match wins", `echo "rate: 10 ops/s"; echo noise; echo "rate: 1,234.5 ops/s"; echo done`, "req/s", 1234.5, "req/s"},
		{"match on stderr", `echo nothing here; echo "rate: 77" >&2`, "", 77, "ops/s"},
		{"underscores and exponent", `echo "rate: 1_000e3"`, "x/s", 1e6, "x/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestCommand(t, CommandConfig{
				Argv:            []string{"sh", "-c", tc.script},
				ThroughputRegex: `rate: (?P<value>[0-9.,_e]+)`,
				Unit:            tc.unit,
			})
			res, err := w.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Throughput != tc.want || res.Unit != tc.wantUnit || res.Wall <= 0 {
				t.Errorf("result %+v, want %v %s", res, tc.want, tc.wantUnit)
			}
		})
	}
}

func TestCommandRunsPerSecond(t *testing.T) {
	w := newTestCommand(t, CommandConfig{Argv: []string{"true"}})
	if w.Name() != "command" || w.Describe() != "true" {
		t.Errorf("Name %q Describe %q", w.Name(), w.Describe())
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Unit != "runs/s" || res.Ops != 1 || res.Wall <= 0 || res.Throughput != 1/res.Wall.Seconds() {
		t.Errorf("result %+v", res)
	}
}

// TestCommandThroughputNotFinite: a command printing NaN or an infinity
// where its throughput goes fails its run with an error wrapping
// ErrNotFinite, which shows the output, instead of returning a value no
// results file can hold.
func TestCommandThroughputNotFinite(t *testing.T) {
	for _, text := range []string{"NaN", "nan", "Inf", "-inf", "+Infinity", "1e999"} {
		w := newTestCommand(t, CommandConfig{
			Argv:            []string{"echo", text + " ops/s"},
			ThroughputRegex: `(?P<value>\S+) ops/s`,
		})
		res, err := w.Run(context.Background())
		if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), text+" ops/s") {
			t.Errorf("%s: result %+v, err %v; want ErrNotFinite with the output", text, res, err)
		}
	}
}

func TestCommandRegexNoMatch(t *testing.T) {
	w := newTestCommand(t, CommandConfig{
		Argv:            []string{"echo", "hello"},
		ThroughputRegex: `rate=(?P<value>\d+)`,
	})
	_, err := w.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "matched nothing") || !strings.Contains(err.Error(), "hello") {
		t.Fatalf("Run error = %v", err)
	}
}

func TestCommandFails(t *testing.T) {
	w := newTestCommand(t, CommandConfig{
		Argv: []string{"sh", "-c", `echo out-line; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo err-line-$i >&2; done; exit 3`},
	})
	_, err := w.Run(context.Background())
	if err == nil {
		t.Fatal("failing command gave no error")
	}
	msg := err.Error()
	for _, want := range []string{"exit status 3", "err-line-3", "err-line-12"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	// Only the last lines of stderr, and no stdout.
	for _, unwanted := range []string{"err-line-2\n", "out-line"} {
		if strings.Contains(msg+"\n", unwanted) {
			t.Errorf("error %q holds %q", msg, unwanted)
		}
	}
}

func TestNewCommandValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  CommandConfig
		want string
	}{
		{"bad regex", CommandConfig{Argv: []string{"true"}, ThroughputRegex: `rate: (`}, "compiling throughput regex"},
		{"regex without value group", CommandConfig{Argv: []string{"true"}, ThroughputRegex: `rate: (\d+)`}, `no named group (?P<value>`},
		{"regex with another group", CommandConfig{Argv: []string{"true"}, ThroughputRegex: `rate: (?P<rate>\d+)`}, `no named group`},
		{"empty argv", CommandConfig{}, "argv is empty"},
		{"empty program", CommandConfig{Argv: []string{""}}, "argv is empty"},
		{"missing dir", CommandConfig{Argv: []string{"true"}, Dir: "/nonexistent/benchctl"}, "no such file"},
		{"bad env", CommandConfig{Argv: []string{"true"}, Env: []string{"NOEQUALS"}}, "not NAME=value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCommand(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCommandMissingBinary(t *testing.T) {
	for _, argv0 := range []string{"benchctl-no-such-program", "/nonexistent/benchctl-prog", "./not-here"} {
		_, err := NewCommand(CommandConfig{Argv: []string{argv0}, Dir: t.TempDir()})
		if !errors.Is(err, ErrMissingBinary) {
			t.Errorf("NewCommand(%q) error = %v, want ErrMissingBinary", argv0, err)
		}
	}
}

func TestCommandShellDirEnv(t *testing.T) {
	dir := t.TempDir()
	w := newTestCommand(t, CommandConfig{
		Argv:            []string{`echo "$1 $BENCHCTL_TEST_X" > out; echo "v=$BENCHCTL_TEST_X"`, "hello"},
		Shell:           true,
		Dir:             dir,
		Env:             []string{"BENCHCTL_TEST_X=42"},
		ThroughputRegex: `v=(?P<value>\d+)`,
	})
	if got := w.Describe(); !strings.HasPrefix(got, `sh -c 'echo "$1 $BENCHCTL_TEST_X" > out;`) {
		t.Errorf("Describe() = %q", got)
	}
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Throughput != 42 {
		t.Errorf("throughput %v, want 42 from the environment", res.Throughput)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out"))
	if err != nil || string(data) != "hello 42\n" {
		t.Errorf("out = %q, %v; want the shell to run in Dir with $1 set", data, err)
	}
}

// A relative program path is found relative to Dir, as exec runs it.
func TestCommandRelativeToDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\necho n=5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := newTestCommand(t, CommandConfig{Argv: []string{"./prog"}, Dir: dir, ThroughputRegex: `n=(?P<value>\d+)`})
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Throughput != 5 {
		t.Errorf("throughput %v, want 5", res.Throughput)
	}
}

// Cancelling kills the whole process group, grandchildren included.
func TestCommandCancelKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	w := newTestCommand(t, CommandConfig{
		Argv:  []string{`sleep 60 & echo $! > "$1"; echo $$ >> "$1"; wait`, pidFile},
		Shell: true,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(ctx)
		done <- err
	}()
	var pids []int
	for deadline := time.Now().Add(10 * time.Second); len(pids) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("command did not write its pids")
		}
		data, _ := os.ReadFile(pidFile)
		pids = pids[:0]
		for _, f := range strings.Fields(string(data)) {
			if p, err := strconv.Atoi(f); err == nil {
				pids = append(pids, p)
			}
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	sleepPID, shPID := pids[0], pids[1]
	if alive(shPID) {
		t.Errorf("shell %d alive after cancel", shPID)
	}
	waitGone(t, sleepPID) // orphaned grandchild: reaped by init
	if groupAlive(shPID) {
		t.Errorf("process group %d has live members", shPID)
	}
}

// A background process the command leaves behind is killed when it exits.
func TestCommandLeftoverChildKilled(t *testing.T) {
	w := newTestCommand(t, CommandConfig{
		Argv: []string{"sh", "-c", `sleep 60 & echo child=$!`}, ThroughputRegex: `child=(?P<value>\d+)`,
	})
	res, err := w.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, int(res.Throughput))
}

func TestCommandCloseDuringRun(t *testing.T) {
	w := newTestCommand(t, CommandConfig{Argv: []string{"sleep", "60"}})
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(context.Background())
		done <- err
	}()
	cw := w.(*commandWorkload)
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("command did not start")
		}
		cw.mu.Lock()
		if cw.running != nil {
			pid = cw.running.pid
		}
		cw.mu.Unlock()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("command %d alive after Close", pid)
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "killed by signal") {
		t.Errorf("Run error = %v, want killed by signal", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Run(context.Background()); err == nil {
		t.Error("Run after Close gave no error")
	}
}
