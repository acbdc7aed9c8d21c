package workloads

import (
	"errors"
	"time"
)

// ErrMissingBinary is returned (wrapped, with the install command) when a
// workload's program is not installed; callers exit 3.
var ErrMissingBinary = errors.New("workload program not found")

// RedisConfig configures the redis workload: benchctl starts its own
// redis-server and drives it with redis-benchmark, over a unix socket in
// a private directory, or over TCP on 127.0.0.1 with a password when
// Transport is RedisTCP.
type RedisConfig struct {
	// Transport is how redis-benchmark reaches the server: RedisUnix
	// ("" too) or RedisTCP.
	Transport string
	Tests     []string // redis-benchmark -t tests; empty = the proposal's eleven
	Requests  int      // -n per test; 0 = 100000 (redis-benchmark's default)
	Clients   int      // -c; 0 = redis-benchmark's default (50)
	Pipeline  int      // -P; 0 = 1
	DataSize  int      // -d; 0 = default (3)
	Keyspace  int      // -r; 0 = off
	Threads   int      // --threads; 0 = off
	ServerBin string   // "" = redis-server from PATH
	BenchBin  string   // "" = redis-benchmark from PATH
	// StartTimeout bounds how long Prepare waits for the server to
	// answer PING; 0 = 10 s.
	StartTimeout time.Duration
}

// The redis workload's transports (RedisConfig.Transport).
const (
	// RedisUnix: a unix socket in the server's private 0700 directory,
	// mode 0700, and no TCP port. Only root and benchctl's user reach it.
	RedisUnix = "unix"
	// RedisTCP: TCP on 127.0.0.1, a port chosen at random, with a random
	// password (requirepass) and the admin and dangerous commands
	// (SHUTDOWN, CLIENT PAUSE, CONFIG SET, FLUSHALL, DEBUG...) denied
	// even with it. redis-benchmark takes the password only as -a, on its
	// command line, which local users can read in /proc while it runs.
	RedisTCP = "tcp"
)

// RedisTransports are the valid RedisConfig.Transport values.
func RedisTransports() []string { return []string{RedisUnix, RedisTCP} }

// SyscallsConfig configures the built-in syscall generator.
type SyscallsConfig struct {
	Mix      string        // one of Mixes()
	Threads  int           // 0 = 1
	Count    int64         // operations per thread; 0 = use Duration
	Duration time.Duration // used when Count is 0
	// Rate, when positive, paces the threads to this many syscalls/s in
	// total (each thread Rate/Threads), spread evenly in time; 0 runs
	// them flat out. See SyscallsPerOp.
	Rate float64
}

// CommandConfig configures an arbitrary command.
type CommandConfig struct {
	Argv  []string
	Shell bool // run Argv[0] with sh -c
	Dir   string
	Env   []string // added to the environment
	// ThroughputRegex, when set, must have a named group "value"; the last
	// match in the command's stdout+stderr is its throughput, in Unit.
	ThroughputRegex string
	Unit            string
}
