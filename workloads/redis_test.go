package workloads

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireRedis skips the test when redis-server or redis-benchmark is not
// installed.
func requireRedis(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	for _, p := range []string{"redis-server", "redis-benchmark"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s (%s)", p, redisInstallHint)
		}
	}
}

func newTestRedis(t *testing.T, cfg RedisConfig) *redisWorkload {
	t.Helper()
	w, err := NewRedis(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w.(*redisWorkload)
}

func TestRedisRun(t *testing.T) {
	requireRedis(t)
	w := newTestRedis(t, RedisConfig{Tests: []string{"ping_inline", "SET"}, Requests: 2000, Clients: 10})
	if w.Name() != "redis" {
		t.Errorf("Name() = %q", w.Name())
	}
	if got, want := w.Describe(), "redis-benchmark -t ping_inline,set -n 2000 -c 10"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	ctx := context.Background()
	if err := w.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	pid, port := w.serverPID()
	dir := w.dir
	if pid == 0 || !alive(pid) || portClosed(port) {
		t.Fatalf("server pid %d port %d not up after Prepare", pid, port)
	}
	if err := pingRedis(ctx, "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Fatalf("server does not answer PING: %v", err)
	}
	if err := w.Prepare(ctx); err == nil {
		t.Error("second Prepare gave no error")
	}

	for i := 0; i < 2; i++ { // Run can be repeated on one server
		res, err := w.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: %.0f %s, %v ops in %v, latency %+v", i, res.Throughput, res.Unit, res.Ops, res.Wall, *res.Latency)
		if len(res.Tests) != 2 || res.Tests[0].Name != "PING_INLINE" || res.Tests[1].Name != "SET" {
			t.Fatalf("tests = %+v", res.Tests)
		}
		for _, tr := range res.Tests {
			if tr.Throughput <= 0 || tr.Latency == nil || tr.Latency.MaxMs < tr.Latency.MinMs {
				t.Errorf("test %+v", tr)
			}
		}
		if res.Unit != "requests/s" || res.Ops != 4000 || res.Throughput <= 0 || res.Wall <= 0 || res.Latency == nil {
			t.Errorf("result %+v", res)
		}
		// The aggregate lies between the slowest and the fastest test.
		lo, hi := res.Tests[0].Throughput, res.Tests[1].Throughput
		if lo > hi {
			lo, hi = hi, lo
		}
		if res.Throughput < lo*(1-1e-9) || res.Throughput > hi*(1+1e-9) {
			t.Errorf("aggregate %v outside [%v, %v]", res.Throughput, lo, hi)
		}
	}
	if got, _ := w.serverPID(); got != pid {
		t.Errorf("server changed: pid %d, was %d", got, pid)
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("redis-server %d alive after Close", pid)
	}
	if groupAlive(pid) {
		t.Errorf("process group %d has live members after Close", pid)
	}
	if !portClosed(port) {
		t.Errorf("port %d still open after Close", port)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("server directory %s still there: %v", dir, err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Run(ctx); err == nil {
		t.Error("Run after Close gave no error")
	}
}

func TestRedisCancelThenClose(t *testing.T) {
	requireRedis(t)
	w := newTestRedis(t, RedisConfig{Tests: []string{"set"}, Requests: 50_000_000})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	serverPID, port := w.serverPID()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type runResult struct {
		res Result
		err error
	}
	done := make(chan runResult, 1)
	go func() {
		res, err := w.Run(ctx)
		done <- runResult{res, err}
	}()
	var benchPID int
	for deadline := time.Now().Add(10 * time.Second); benchPID == 0; {
		if time.Now().After(deadline) {
			t.Fatal("redis-benchmark did not start")
		}
		time.Sleep(5 * time.Millisecond)
		benchPID = w.benchPID()
	}
	time.Sleep(100 * time.Millisecond) // let it connect and send
	cancel()
	r := <-done
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", r.err)
	}
	if alive(benchPID) {
		t.Errorf("redis-benchmark %d alive after cancel", benchPID)
	}
	if !alive(serverPID) {
		t.Errorf("redis-server %d died with the cancelled run", serverPID)
	}

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if alive(serverPID) || groupAlive(serverPID) {
		t.Errorf("redis-server %d alive after Close", serverPID)
	}
	if !portClosed(port) {
		t.Errorf("port %d still open after Close", port)
	}
}

func TestRedisCloseDuringRun(t *testing.T) {
	requireRedis(t)
	w := newTestRedis(t, RedisConfig{Tests: []string{"get"}, Requests: 50_000_000})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	serverPID, _ := w.serverPID()
	done := make(chan error, 1)
	go func() {
		_, err := w.Run(context.Background())
		done <- err
	}()
	var benchPID int
	for deadline := time.Now().Add(10 * time.Second); benchPID == 0; {
		if time.Now().After(deadline) {
			t.Fatal("redis-benchmark did not start")
		}
		time.Sleep(5 * time.Millisecond)
		benchPID = w.benchPID()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("Run interrupted by Close gave no error")
	}
	if alive(benchPID) || alive(serverPID) {
		t.Errorf("benchmark %d alive=%v, server %d alive=%v after Close",
			benchPID, alive(benchPID), serverPID, alive(serverPID))
	}
}

func TestRedisMissingBinary(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-redis")
	for _, cfg := range []RedisConfig{
		{ServerBin: missing, BenchBin: "true"},
		{ServerBin: "true", BenchBin: missing},
		{ServerBin: "benchctl-no-such-redis-server-in-path", BenchBin: "true"},
	} {
		_, err := NewRedis(cfg)
		t.Log(err)
		if !errors.Is(err, ErrMissingBinary) {
			t.Fatalf("NewRedis(%+v) error = %v, want ErrMissingBinary", cfg, err)
		}
		if !strings.Contains(err.Error(), "apt-get install redis-server redis-tools") {
			t.Errorf("error %q does not say how to install", err)
		}
	}
}

func TestNewRedisValidation(t *testing.T) {
	for _, cfg := range []RedisConfig{
		{Requests: -1},
		{Clients: -1},
		{Pipeline: -2},
		{DataSize: -3},
		{Keyspace: -4},
		{Threads: -5},
		{StartTimeout: -time.Second},
		{Tests: []string{"set", "get;rm"}},
		{Tests: []string{""}},
		{Tests: []string{"set,get"}},
	} {
		cfg.ServerBin, cfg.BenchBin = "true", "true"
		if _, err := NewRedis(cfg); err == nil || errors.Is(err, ErrMissingBinary) {
			t.Errorf("NewRedis(%+v) error = %v, want a validation error", cfg, err)
		}
	}
	w, err := NewRedis(RedisConfig{ServerBin: "true", BenchBin: "true", Pipeline: 16, DataSize: 64, Keyspace: 1000, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "redis-benchmark -t " + strings.Join(DefaultRedisTests(), ",") + " -n 100000 -c 50 -P 16 -d 64 -r 1000 --threads 2"
	if got := w.Describe(); got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if len(DefaultRedisTests()) != 11 {
		t.Errorf("default tests %v, want the proposal's eleven", DefaultRedisTests())
	}
}

// A server that exits at once makes Prepare fail with its output, leaves
// nothing behind, and Close still works.
func TestRedisPrepareServerExits(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "fake-redis-server")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'fatal: no config for you' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := newTestRedis(t, RedisConfig{ServerBin: script, BenchBin: "true"})
	err := w.Prepare(context.Background())
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "exited before answering PING") ||
		!strings.Contains(err.Error(), "no config for you") {
		t.Fatalf("Prepare error = %v", err)
	}
	if w.dir != "" {
		t.Errorf("server directory %q kept after failed Prepare", w.dir)
	}
	if _, err := w.Run(context.Background()); err == nil {
		t.Error("Run after failed Prepare gave no error")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after failed Prepare: %v", err)
	}
}

// A server that never answers times out, and is killed.
func TestRedisPrepareTimeout(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := filepath.Join(dir, "mute-redis-server")
	body := "#!/bin/sh\necho $$ > " + pidFile + "\nexec sleep 60\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	w := newTestRedis(t, RedisConfig{ServerBin: script, BenchBin: "true", StartTimeout: 300 * time.Millisecond})
	err := w.Prepare(context.Background())
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Fatalf("Prepare error = %v", err)
	}
	pid, _ := strconv.Atoi(waitForFile(t, pidFile))
	if alive(pid) {
		t.Errorf("mute server %d still alive after failed Prepare", pid)
	}
}

// Unknown test names make redis-benchmark print only the header.
func TestRedisNoResults(t *testing.T) {
	requireRedis(t)
	w := newTestRedis(t, RedisConfig{Tests: []string{"no_such_test"}, Requests: 10})
	if err := w.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := w.Run(context.Background())
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "no test results") {
		t.Fatalf("Run error = %v, want no test results", err)
	}
}
