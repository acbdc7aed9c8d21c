package workloads

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

const (
	redisInstallHint       = "apt-get install redis-server redis-tools"
	defaultRedisRequests   = 100000
	defaultRedisClients    = 50
	defaultRedisStartWait  = 10 * time.Second
	redisStopTimeout       = 5 * time.Second
	redisBindAttempts      = 3
	redisServerLogBytes    = 64 << 10
	redisBenchStderrBytes  = 64 << 10
	redisErrorContextLines = 10
)

// DefaultRedisTests returns the redis-benchmark tests the enter-events
// proposal ran, used when RedisConfig.Tests is empty.
func DefaultRedisTests() []string {
	return []string{
		"ping_inline", "ping_mbulk", "set", "get", "incr",
		"lpush", "rpush", "lpop", "rpop", "sadd", "hset",
	}
}

var redisTestName = regexp.MustCompile(`^[a-z0-9_]+$`)

// redisWorkload is the "redis" workload.
type redisWorkload struct {
	cfg       RedisConfig
	serverBin string
	benchBin  string
	tests     []string
	requests  int

	mu        sync.Mutex
	closed    bool
	dir       string // private --dir of the server
	port      int
	server    *child
	serverLog *tailBuffer
	bench     *child  // the redis-benchmark of the Run in flight
	cg        *Cgroup // the server's and redis-benchmark's; nil without cgroup v2
}

// NewRedis returns the redis workload: Prepare starts a private
// redis-server on 127.0.0.1 (persistence off, a private temporary --dir,
// no configuration file) and waits until it answers PING; Run drives it
// with redis-benchmark --csv; Close kills the server and removes its
// directory.
//
// The configuration is validated and both programs are looked up now; a
// missing program gives an error wrapping [ErrMissingBinary] that names
// the install command.
func NewRedis(cfg RedisConfig) (Workload, error) {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"requests", cfg.Requests}, {"clients", cfg.Clients}, {"pipeline", cfg.Pipeline},
		{"data size", cfg.DataSize}, {"keyspace", cfg.Keyspace}, {"threads", cfg.Threads},
	} {
		if f.v < 0 {
			return nil, fmt.Errorf("validating redis config: %s is %d, must not be negative", f.name, f.v)
		}
	}
	if cfg.StartTimeout < 0 {
		return nil, fmt.Errorf("validating redis config: start timeout is %s, must not be negative", cfg.StartTimeout)
	}
	tests := cfg.Tests
	if len(tests) == 0 {
		tests = DefaultRedisTests()
	}
	norm := make([]string, 0, len(tests))
	for _, t := range tests {
		t = strings.ToLower(strings.TrimSpace(t))
		if !redisTestName.MatchString(t) {
			return nil, fmt.Errorf("validating redis config: test name %q is not a redis-benchmark test (want letters, digits and _)", t)
		}
		norm = append(norm, t)
	}

	serverBin, err := findProgram(cfg.ServerBin, "redis-server", redisInstallHint)
	if err != nil {
		return nil, err
	}
	benchBin, err := findProgram(cfg.BenchBin, "redis-benchmark", redisInstallHint)
	if err != nil {
		return nil, err
	}
	requests := cfg.Requests
	if requests == 0 {
		requests = defaultRedisRequests
	}
	return &redisWorkload{
		cfg:       cfg,
		serverBin: serverBin,
		benchBin:  benchBin,
		tests:     norm,
		requests:  requests,
	}, nil
}

// findProgram resolves bin (or def when bin is empty) through PATH, or as
// a path when it holds a slash.
func findProgram(bin, def, hint string) (string, error) {
	name := bin
	if name == "" {
		name = def
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("finding %s: %w (%v); install it with: %s", name, ErrMissingBinary, err, hint)
	}
	return path, nil
}

func (w *redisWorkload) Name() string { return "redis" }

// Describe returns the redis-benchmark command line without host and
// port, e.g. "redis-benchmark -t set,get -n 100000 -c 50".
func (w *redisWorkload) Describe() string {
	return "redis-benchmark " + strings.Join(w.benchFlags(), " ")
}

// benchFlags are the redis-benchmark flags apart from host, port and --csv.
func (w *redisWorkload) benchFlags() []string {
	clients := w.cfg.Clients
	if clients == 0 {
		clients = defaultRedisClients
	}
	args := []string{
		"-t", strings.Join(w.tests, ","),
		"-n", strconv.Itoa(w.requests),
		"-c", strconv.Itoa(clients),
	}
	if w.cfg.Pipeline > 0 {
		args = append(args, "-P", strconv.Itoa(w.cfg.Pipeline))
	}
	if w.cfg.DataSize > 0 {
		args = append(args, "-d", strconv.Itoa(w.cfg.DataSize))
	}
	if w.cfg.Keyspace > 0 {
		args = append(args, "-r", strconv.Itoa(w.cfg.Keyspace))
	}
	if w.cfg.Threads > 0 {
		args = append(args, "--threads", strconv.Itoa(w.cfg.Threads))
	}
	return args
}

// Prepare starts the private redis-server and waits until it answers
// PING. The port is chosen by binding 127.0.0.1:0 and closing; if another
// process takes it in between, the start is retried on a new port.
func (w *redisWorkload) Prepare(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("preparing redis: workload is closed")
	}
	if w.server != nil {
		return errors.New("preparing redis: already prepared")
	}
	dir, err := os.MkdirTemp("", "benchctl-redis-")
	if err != nil {
		return fmt.Errorf("creating redis-server directory: %w", err)
	}
	w.dir = dir
	// Without a cgroup (no cgroup v2 here) redis runs all the same; its
	// CPU time is then not measured.
	w.cg, _ = newCgroup()

	timeout := w.cfg.StartTimeout
	if timeout == 0 {
		timeout = defaultRedisStartWait
	}
	var lastErr error
	for attempt := 0; attempt < redisBindAttempts; attempt++ {
		port, err := freeLoopbackPort()
		if err != nil {
			lastErr = err
			break
		}
		srv, log, err := w.startServer(port)
		if err != nil {
			lastErr = fmt.Errorf("starting redis-server: %w", err)
			break
		}
		err = waitForPong(ctx, srv, port, timeout)
		if err == nil {
			w.server, w.serverLog, w.port = srv, log, port
			return nil
		}
		if stopErr := srv.stop(redisStopTimeout); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		lastErr = withOutput(fmt.Errorf("starting redis-server on port %d: %w", port, err),
			log.lastLines(redisErrorContextLines))
		if ctx.Err() != nil || !strings.Contains(log.String(), "Address already in use") {
			break
		}
	}
	// Leave nothing behind on failure; Close stays safe to call.
	_ = os.RemoveAll(w.dir)
	w.dir = ""
	if err := w.cg.close(); err != nil {
		lastErr = errors.Join(lastErr, err)
	}
	w.cg = nil
	return lastErr
}

func (w *redisWorkload) startServer(port int) (*child, *tailBuffer, error) {
	log := newTailBuffer(redisServerLogBytes)
	cmd := &exec.Cmd{
		Path: w.serverBin,
		Args: []string{
			"redis-server",
			"--port", strconv.Itoa(port),
			"--bind", "127.0.0.1",
			"--save", "",
			"--appendonly", "no",
			"--dir", w.dir,
			"--daemonize", "no",
			"--logfile", "",
		},
		Dir:    w.dir,
		Stdout: log,
		Stderr: log,
	}
	w.cg.put(cmd)
	c, err := startChild(cmd)
	if err != nil {
		return nil, nil, err
	}
	return c, log, nil
}

// freeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment
// ago.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// waitForPong polls the server with PING until it answers PONG, the
// server exits, ctx ends, or timeout passes.
func waitForPong(ctx context.Context, srv *child, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var lastErr error
	for {
		if srv.hasExited() {
			return fmt.Errorf("redis-server exited before answering PING: %v", describeExit(srv.waitErr))
		}
		if lastErr = pingRedis(ctx, addr); lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for PONG: no answer within %s: %w", timeout, lastErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for PONG: %w", context.Cause(ctx))
		case <-srv.done:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pingRedis sends one RESP PING to addr and expects +PONG.
func pingRedis(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return fmt.Errorf("sending PING: %w", err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading PING reply: %w", err)
	}
	if line = strings.TrimRight(line, "\r\n"); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Run runs redis-benchmark against the server once and reports:
//
//   - Tests: one entry per CSV line, with requests/s and, with redis 6.2
//     or later, the latency percentiles;
//   - Throughput: the aggregate requests/s over all tests, that is the
//     total number of requests divided by the summed time the tests took
//     according to their own rps (sum(n) / sum(n/rps_i)); it excludes
//     redis-benchmark's start-up and connection set-up between tests;
//   - Ops: the total number of requests (-n times the number of tests);
//   - Latency: see [aggregateRedis];
//   - Wall: the wall time of the redis-benchmark process.
//
// Cancelling ctx kills redis-benchmark.
func (w *redisWorkload) Run(ctx context.Context) (Result, error) {
	w.mu.Lock()
	if w.closed || w.server == nil {
		w.mu.Unlock()
		return Result{}, errors.New("running redis-benchmark: workload is not prepared")
	}
	if w.bench != nil {
		w.mu.Unlock()
		return Result{}, errors.New("running redis-benchmark: a run is already in progress")
	}
	if w.server.hasExited() {
		err := withOutput(fmt.Errorf("running redis-benchmark: redis-server exited: %v", describeExit(w.server.waitErr)),
			w.serverLog.lastLines(redisErrorContextLines))
		w.mu.Unlock()
		return Result{}, err
	}
	args := append([]string{"redis-benchmark", "-h", "127.0.0.1", "-p", strconv.Itoa(w.port)}, w.benchFlags()...)
	args = append(args, "--csv")
	stdout := &lockedBuffer{}
	stderr := newTailBuffer(redisBenchStderrBytes)
	cmd := &exec.Cmd{Path: w.benchBin, Args: args, Dir: w.dir, Stdout: stdout, Stderr: stderr}
	w.cg.put(cmd)
	cg := w.cg
	cpu0, cpuErr := cg.cpu()
	start := time.Now()
	bench, err := startChild(cmd)
	if err != nil {
		w.mu.Unlock()
		return Result{}, fmt.Errorf("starting redis-benchmark: %w", err)
	}
	w.bench = bench
	w.mu.Unlock()

	err = bench.wait(ctx)
	wall := bench.exited.Sub(start)
	cg.addReaped(bench)
	cpu1, cpuErr1 := cg.cpu()

	w.mu.Lock()
	w.bench = nil
	w.mu.Unlock()

	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("running redis-benchmark: %w", err)
		}
		return Result{}, withOutput(fmt.Errorf("running redis-benchmark: %w", describeExit(err)),
			stderr.lastLines(redisErrorContextLines))
	}
	tests, err := parseRedisCSV(stdout.Bytes())
	if err != nil {
		return Result{}, withOutput(fmt.Errorf("parsing redis-benchmark output: %w", err),
			stderr.lastLines(redisErrorContextLines))
	}
	if len(tests) == 0 {
		return Result{}, withOutput(fmt.Errorf("parsing redis-benchmark output: no test results (tests %s)",
			strings.Join(w.tests, ",")), stderr.lastLines(redisErrorContextLines))
	}
	res, err := aggregateRedis(tests, w.requests)
	if err != nil {
		return Result{}, fmt.Errorf("summarizing redis-benchmark output: %w", err)
	}
	res.Wall = wall
	if cg != nil && cpuErr == nil && cpuErr1 == nil {
		res.CPUSeconds, res.CPUMethod = max(0, cpu1-cpu0), results.WorkloadCPUCgroup
	}
	return res, nil
}

// Cgroup is the cgroup the server and redis-benchmark run in, nil when
// there is none (before Prepare, without cgroup v2).
func (w *redisWorkload) Cgroup() *Cgroup {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cg
}

// Close kills redis-benchmark if a Run is in flight, kills the server's
// process group and removes its directory. It is idempotent.
func (w *redisWorkload) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	var errs []error
	if w.bench != nil {
		if err := w.bench.stop(redisStopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping redis-benchmark: %w", err))
		}
	}
	if w.server != nil {
		if err := w.server.stop(redisStopTimeout); err != nil {
			errs = append(errs, fmt.Errorf("stopping redis-server: %w", err))
		}
		w.server = nil
	}
	if err := w.cg.close(); err != nil {
		errs = append(errs, fmt.Errorf("removing the workload's cgroup: %w", err))
	}
	w.cg = nil
	if w.dir != "" {
		if err := os.RemoveAll(w.dir); err != nil {
			errs = append(errs, fmt.Errorf("removing redis-server directory: %w", err))
		}
		w.dir = ""
	}
	return errors.Join(errs...)
}

// serverPID returns the pid of the running server and its port, or 0
// (for tests).
func (w *redisWorkload) serverPID() (pid, port int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.server == nil {
		return 0, 0
	}
	return w.server.pid, w.port
}

// benchPID returns the pid of the redis-benchmark in flight, or 0 (for
// tests).
func (w *redisWorkload) benchPID() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bench == nil {
		return 0
	}
	return w.bench.pid
}
