package workloads

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/record"
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
	redisSocketName        = "redis.sock"
	redisConfName          = "redis.conf"
	// maxUnixPath is the longest socket path sun_path holds, with its
	// terminating NUL.
	maxUnixPath = 107
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
	dir       string // private --dir of the server, mode 0700
	socket    string // the server's unix socket (RedisUnix), in dir
	port      int    // the server's TCP port (RedisTCP)
	password  string // requirepass (RedisTCP)
	server    *child
	serverLog *tailBuffer
	bench     *child  // the redis-benchmark of the Run in flight
	cg        *Cgroup // the server's and redis-benchmark's; nil without cgroup v2
}

// NewRedis returns the redis workload: Prepare starts a private
// redis-server (persistence off, a private temporary --dir of mode 0700)
// and waits until it answers PING; Run drives it with redis-benchmark
// --csv; Close kills the server and removes its directory.
//
// By default (Transport RedisUnix) the server listens on no TCP port,
// only on a unix socket of mode 0700 in that directory: no other user
// reaches it. With RedisTCP it listens on 127.0.0.1 with a random
// password, given to it in a configuration file of mode 0600 in that
// directory, that also denies the admin and dangerous commands; Prepare
// checks that the port it benchmarks is the server's own.
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
	switch cfg.Transport {
	case "", RedisUnix, RedisTCP:
	default:
		return nil, fmt.Errorf("validating redis config: transport %q is not one of %s", cfg.Transport, strings.Join(RedisTransports(), ", "))
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

// Describe returns the redis-benchmark command line, e.g.
// "redis-benchmark -s SOCKET -t set,get -n 100000 -c 50" over the unix
// socket; with TCP, as before there was a choice, without host, port and
// password: "redis-benchmark -t set,get -n 100000 -c 50" (the password
// adds no syscall: redis-benchmark sends AUTH in each connection's first
// write), so that results of the same TCP workload keep one description.
func (w *redisWorkload) Describe() string {
	var target []string
	if !w.tcp() {
		target = w.targetFlags("SOCKET", "", "")
	}
	return "redis-benchmark " + strings.Join(slices.Concat(target, w.benchFlags()), " ")
}

// tcp tells whether the workload reaches its server over TCP.
func (w *redisWorkload) tcp() bool { return w.cfg.Transport == RedisTCP }

// targetFlags are the redis-benchmark flags that say where the server is
// and how to log in.
func (w *redisWorkload) targetFlags(socket, port, password string) []string {
	if w.tcp() {
		return []string{"-h", "127.0.0.1", "-p", port, "-a", password}
	}
	return []string{"-s", socket}
}

// benchFlags are the redis-benchmark flags apart from the target and --csv.
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
// PING. With TCP the port is chosen by binding 127.0.0.1:0 and closing; if
// another process takes it in between, the start is retried on a new
// port, and the listening socket on the port must be the server's.
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
	if err := w.privateFiles(); err != nil {
		_ = os.RemoveAll(w.dir)
		w.dir = ""
		return err
	}
	// Without a cgroup (no cgroup v2 here) redis runs all the same; its
	// CPU time is then not measured.
	w.cg, _ = newCgroup()

	timeout := w.cfg.StartTimeout
	if timeout == 0 {
		timeout = defaultRedisStartWait
	}
	var lastErr error
	for attempt := 0; attempt < redisBindAttempts; attempt++ {
		port, where := 0, "on socket "+w.socket
		if w.tcp() {
			if port, err = freeLoopbackPort(); err != nil {
				lastErr = err
				break
			}
			where = "on port " + strconv.Itoa(port)
		}
		srv, log, err := w.startServer(port)
		if err != nil {
			lastErr = fmt.Errorf("starting redis-server: %w", err)
			break
		}
		err = waitForPong(ctx, srv, w.target(port), w.password, timeout)
		shared := false
		if err == nil && w.tcp() {
			// The server answered on the port with our password; make
			// sure nobody else holds a listener there too.
			err = checkListener(srv.pid, port)
			shared = err != nil
		}
		if err == nil {
			w.server, w.serverLog, w.port = srv, log, port
			return nil
		}
		if stopErr := srv.stop(redisStopTimeout); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		lastErr = withOutput(fmt.Errorf("starting redis-server %s: %w", where, err),
			log.lastLines(redisErrorContextLines))
		if ctx.Err() != nil || !w.tcp() || !(shared || strings.Contains(log.String(), "Address already in use")) {
			break
		}
	}
	// Leave nothing behind on failure; Close stays safe to call.
	_ = os.RemoveAll(w.dir)
	w.dir, w.socket = "", ""
	if err := w.cg.close(); err != nil {
		lastErr = errors.Join(lastErr, err)
	}
	w.cg = nil
	return lastErr
}

// privateFiles makes the server's directory 0700 (MkdirTemp does, but
// under a umask that could be looser, say it), sets the socket path, and
// with TCP makes the password and writes it, with the access rules, into
// a 0600 configuration file: a password on redis-server's command line
// could be read in /proc by anyone until it rewrites its process title.
func (w *redisWorkload) privateFiles() error {
	if err := os.Chmod(w.dir, 0o700); err != nil {
		return fmt.Errorf("creating redis-server directory: %w", err)
	}
	if !w.tcp() {
		w.socket = filepath.Join(w.dir, redisSocketName)
		if len(w.socket) > maxUnixPath {
			return fmt.Errorf("redis-server socket path %s is longer than a unix socket's %d bytes: set TMPDIR to a shorter directory", w.socket, maxUnixPath)
		}
		return nil
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("making the redis password: %w", err)
	}
	w.password = hex.EncodeToString(b[:])
	// The default user, with the password, may run every command but
	// the admin and dangerous ones (SHUTDOWN, CLIENT PAUSE, CONFIG SET,
	// FLUSHALL, DEBUG, ...); CONFIG GET stays, as redis-benchmark asks
	// for save and appendonly when it starts.
	conf := "user default on resetpass >" + w.password + " ~* &* +@all -@admin -@dangerous +config|get\n"
	if err := os.WriteFile(filepath.Join(w.dir, redisConfName), []byte(conf), 0o600); err != nil {
		return fmt.Errorf("writing the redis-server configuration: %w", err)
	}
	return nil
}

// target is where the server listens: its socket, or 127.0.0.1:port.
func (w *redisWorkload) target(port int) redisTarget {
	if w.tcp() {
		return redisTarget{"tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	}
	return redisTarget{"unix", w.socket}
}

// redisTarget is a server's network ("tcp", "unix") and address.
type redisTarget struct{ network, addr string }

func (w *redisWorkload) startServer(port int) (*child, *tailBuffer, error) {
	log := newTailBuffer(redisServerLogBytes)
	args := []string{"redis-server"}
	if w.tcp() {
		// A configuration file, if any, comes first.
		args = append(args, filepath.Join(w.dir, redisConfName), "--port", strconv.Itoa(port), "--bind", "127.0.0.1")
	} else {
		args = append(args, "--port", "0", "--unixsocket", w.socket, "--unixsocketperm", "700")
	}
	cmd := &exec.Cmd{
		Path: w.serverBin,
		Args: append(args,
			"--save", "",
			"--appendonly", "no",
			"--dir", w.dir,
			"--daemonize", "no",
			"--logfile", "",
		),
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

// checkListener checks that every listening TCP socket that could take
// connections to 127.0.0.1:port (on 127.0.0.1, 0.0.0.0, ::, or
// ::ffff:127.0.0.1) is held by process pid, and that there is one.
func checkListener(pid, port int) error {
	inodes, err := tcpListeners(port)
	if err != nil {
		return err
	}
	mine, err := socketInodes(pid)
	if err != nil {
		return err
	}
	if len(inodes) == 0 {
		return fmt.Errorf("no listening socket on port %d", port)
	}
	for _, ino := range inodes {
		if !mine[ino] {
			return fmt.Errorf("another process listens on port %d too (socket inode %d)", port, ino)
		}
	}
	return nil
}

// tcpListeners returns the inodes of the listening TCP and TCP6 sockets
// on port that connections to 127.0.0.1:port could reach, from
// /proc/net/tcp{,6} (addresses in hex, as the kernel stores them).
func tcpListeners(port int) ([]uint64, error) {
	var out []uint64
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // no IPv6
			}
			return nil, fmt.Errorf("listing listening sockets: %w", err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // TCP_LISTEN
				continue
			}
			hexAddr, hexPort, ok := strings.Cut(fs[1], ":")
			p, err := strconv.ParseUint(hexPort, 16, 16)
			if !ok || err != nil || int(p) != port || !loopbackReachable[hexAddr] {
				continue
			}
			if ino, err := strconv.ParseUint(fs[9], 10, 64); err == nil {
				out = append(out, ino)
			}
		}
	}
	return out, nil
}

// loopbackReachable are the local addresses, as /proc/net/tcp{,6} write
// them on a little-endian machine, whose listeners take connections to
// 127.0.0.1: 127.0.0.1, 0.0.0.0, :: and ::ffff:127.0.0.1. (On a
// big-endian machine the IPv4 ones read 7F000001; listed too.)
var loopbackReachable = map[string]bool{
	"0100007F": true, "7F000001": true, "00000000": true,
	"00000000000000000000000000000000": true,
	"0000000000000000FFFF00000100007F": true,
	"0000000000000000FFFF00007F000001": true,
}

// socketInodes returns the inodes of the sockets process pid holds.
func socketInodes(pid int) (map[uint64]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing the sockets of redis-server: %w", err)
	}
	out := map[uint64]bool{}
	for _, e := range ents {
		l, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				out[ino] = true
			}
		}
	}
	return out, nil
}

// waitForPong polls the server with PING (after AUTH when password is
// set) until it answers PONG, the server exits, ctx ends, or timeout
// passes.
func waitForPong(ctx context.Context, srv *child, to redisTarget, password string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		if srv.hasExited() {
			return fmt.Errorf("redis-server exited before answering PING: %v", describeExit(srv.waitErr))
		}
		if lastErr = pingRedis(ctx, to, password); lastErr == nil {
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

// pingRedis sends AUTH password (when set), then PING, to the server,
// and expects +OK and +PONG.
func pingRedis(ctx context.Context, to redisTarget, password string) error {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	conn, err := d.DialContext(ctx, to.network, to.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	if password != "" {
		if err := redisCommand(conn, r, "+OK", "AUTH", password); err != nil {
			return err
		}
	}
	return redisCommand(conn, r, "+PONG", "PING")
}

// redisCommand sends one RESP command and expects the reply line want.
func redisCommand(conn net.Conn, r *bufio.Reader, want string, args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return fmt.Errorf("sending %s: %w", args[0], err)
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading %s reply: %w", args[0], err)
	}
	if line = strings.TrimRight(line, "\r\n"); line != want {
		return fmt.Errorf("%s answered %q", args[0], line)
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
	args := slices.Concat([]string{"redis-benchmark"}, w.targetFlags(w.socket, strconv.Itoa(w.port), w.password), w.benchFlags(), []string{"--csv"})
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
		res.CPUSeconds, res.CPUMethod = max(0, cpu1-cpu0), record.WorkloadCPUCgroup
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
		w.dir, w.socket = "", ""
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
