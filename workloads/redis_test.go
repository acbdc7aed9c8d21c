package workloads

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	for _, tc := range []struct {
		transport, describe string
	}{
		{"", "redis-benchmark -s SOCKET -t ping_inline,set -n 2000 -c 10"},
		{RedisTCP, "redis-benchmark -t ping_inline,set -n 2000 -c 10"},
	} {
		t.Run("transport="+tc.transport, func(t *testing.T) { testRedisRun(t, tc.transport, tc.describe) })
	}
}

func testRedisRun(t *testing.T, transport, describe string) {
	w := newTestRedis(t, RedisConfig{Tests: []string{"ping_inline", "SET"}, Requests: 2000, Clients: 10, Transport: transport})
	if w.Name() != "redis" {
		t.Errorf("Name() = %q", w.Name())
	}
	if got := w.Describe(); got != describe {
		t.Errorf("Describe() = %q, want %q", got, describe)
	}
	ctx := context.Background()
	if err := w.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	pid, port := w.serverPID()
	dir, socket := w.dir, w.socket
	if pid == 0 || !alive(pid) || (transport == RedisTCP) == portClosed(port) {
		t.Fatalf("server pid %d port %d not up after Prepare", pid, port)
	}
	if err := pingRedis(ctx, w.target(port), w.password); err != nil {
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
	if transport == RedisTCP && !portClosed(port) {
		t.Errorf("port %d still open after Close", port)
	}
	if socket != "" {
		if _, err := net.Dial("unix", socket); err == nil {
			t.Errorf("socket %s still answers after Close", socket)
		}
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
	w := newTestRedis(t, RedisConfig{Tests: []string{"set"}, Requests: 50_000_000, Transport: RedisTCP})
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
		{Transport: "udp"},
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
	want := "redis-benchmark -s SOCKET -t " + strings.Join(DefaultRedisTests(), ",") + " -n 100000 -c 50 -P 16 -d 64 -r 1000 --threads 2"
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

// redisReply sends one command to the server at to, without logging in,
// and returns the first line of its reply, or the error.
func redisReply(to redisTarget, password string, args ...string) (string, error) {
	conn, err := net.DialTimeout(to.network, to.addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		if err := redisCommand(conn, r, "+OK", "AUTH", password); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// While a run is in flight, another client cannot reach the server: on
// the default unix socket no other user can connect and there is no TCP
// port; on TCP a client without the password gets NOAUTH, and with it
// the commands that stop, pause or reconfigure the server are refused.
func TestRedisPrivate(t *testing.T) {
	requireRedis(t)
	requireRoot(t)
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skipf("needs redis-cli (%s)", redisInstallHint)
	}
	for _, transport := range []string{"", RedisTCP} {
		t.Run("transport="+transport, func(t *testing.T) {
			w := newTestRedis(t, RedisConfig{Tests: []string{"set"}, Requests: 50_000_000, Transport: transport})
			if err := w.Prepare(context.Background()); err != nil {
				t.Fatal(err)
			}
			pid, port := w.serverPID()
			if fi, err := os.Stat(w.dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("server directory %s: %v, mode %v, want 0700", w.dir, err, fi.Mode())
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := w.Run(ctx)
				done <- err
			}()
			for deadline := time.Now().Add(10 * time.Second); w.benchPID() == 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("redis-benchmark did not start")
				}
			}

			ours, err := socketInodes(pid)
			if err != nil {
				t.Fatal(err)
			}
			if transport == RedisTCP {
				to := w.target(port)
				for _, cmd := range [][]string{{"PING"}, {"SET", "k", "v"}, {"CLIENT", "PAUSE", "10000"}, {"SHUTDOWN", "NOSAVE"}} {
					got, err := redisReply(to, "", cmd...)
					t.Logf("%v without the password: %q %v", cmd, got, err)
					if !strings.HasPrefix(got, "-NOAUTH") {
						t.Errorf("%v without the password answered %q, %v; want -NOAUTH", cmd, got, err)
					}
				}
				// The password leaks through redis-benchmark's command
				// line; with it, nothing can stop or pause the server.
				for _, cmd := range [][]string{{"CLIENT", "PAUSE", "10000"}, {"SHUTDOWN", "NOSAVE"}, {"CONFIG", "SET", "dir", "/"}, {"FLUSHALL"}} {
					got, err := redisReply(to, w.password, cmd...)
					t.Logf("%v with the password: %q %v", cmd, got, err)
					if !strings.HasPrefix(got, "-NOPERM") {
						t.Errorf("%v with the password answered %q, %v; want -NOPERM", cmd, got, err)
					}
				}
				if err := checkListener(pid, port); err != nil {
					t.Error(err)
				}
			} else {
				// No TCP listener of the server's on any port.
				for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
					data, _ := os.ReadFile(f)
					for _, line := range strings.Split(string(data), "\n")[1:] {
						if fs := strings.Fields(line); len(fs) >= 10 && fs[3] == "0A" {
							if ino, _ := strconv.ParseUint(fs[9], 10, 64); ours[ino] {
								t.Errorf("redis-server listens on TCP: %s", line)
							}
						}
					}
				}
				// Another user cannot connect to the socket.
				cli := exec.Command("redis-cli", "-s", w.socket, "SHUTDOWN", "NOSAVE")
				cli.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				out, err := cli.CombinedOutput()
				t.Logf("redis-cli as uid 65534: %q %v", out, err)
				if !strings.Contains(string(out), "Permission denied") {
					t.Errorf("redis-cli as uid 65534 on %s: %q, %v; want permission denied", w.socket, out, err)
				}
			}
			if !alive(pid) || w.benchPID() == 0 {
				t.Fatalf("server alive %v, redis-benchmark running %v after the other client", alive(pid), w.benchPID() != 0)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Run error = %v, want context.Canceled", err)
			}
			w.requests = 2000
			if res, err := w.Run(context.Background()); err != nil || res.Ops != 2000 {
				t.Fatalf("Run after the other client: %+v, %v", res, err)
			}
		})
	}
}

// A process listening on the server's port too is caught.
func TestRedisCheckListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	if err := checkListener(os.Getpid(), port); err != nil {
		t.Errorf("own listener: %v", err)
	}
	if err := checkListener(1, port); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("pid 1 on our port: %v, want another process", err)
	}
}
