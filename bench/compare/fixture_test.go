package compare

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/workloads"
)

// go test ./bench -run TestGenerateFixtures -gen rewrites the results files
// under testdata/ that the bench, reports and cmd tests read.
var genFixtures = flag.Bool("gen", false, "rewrite the results fixtures in testdata/")

// The fixtures model the redis scenario on the 2-core KVM guest of
// anchors.md, "Falco on this machine": ~142k req/s without probes,
// ~10.3M syscalls per run, and the per-program costs measured there.

// fixtureFingerprint is one workload run's syscall mix.
var fixtureFingerprint = map[string]uint64{
	"epoll_ctl": 5_500_000, "read": 1_100_300, "write": 1_100_200, "sendto": 1_100_000,
	"recvfrom": 1_100_000, "epoll_wait": 330_000, "futex": 24_000, "clock_nanosleep": 8_400,
	"close": 7_700, "mmap": 3_100, "setsockopt": 2_900, "getpid": 2_000, "rt_sigprocmask": 1_500,
	"fcntl": 1_400, "openat": 1_200, "brk": 900, "accept4": 750, "socket": 600, "connect": 600,
}

var (
	smallSet = []string{"sendto", "recvfrom"}
	bigSet   = []string{"read", "write", "close", "fcntl", "gettimeofday", "epoll_ctl", "epoll_wait", "clock_gettime",
		"clock_nanosleep", "socket", "connect", "sendto", "recvfrom", "setsockopt", "accept4", "openat"}
)

type fixtureProg struct {
	name, attach string
	runs         uint64 // 0: once per syscall
	avgNs        float64
}

type fixtureVariant struct {
	v        results.Variant
	progs    []fixtureProg
	perSys   int     // events per traced syscall
	evBytes  float64 // average event size
	rpsRatio float64 // throughput against the baseline of the same stats state
	drops    map[int]uint64
}

func fixtureVariants() []fixtureVariant {
	enter := func(ns float64) fixtureProg { return fixtureProg{"sys_enter", "tp_btf/sys_enter", 0, ns} }
	exit := func(ns float64) fixtureProg { return fixtureProg{"sys_exit", "tp_btf/sys_exit", 0, ns} }
	probe := func(set string, syscalls []string, mode probes.Mode, toctou probes.TOCTOU, stats bool) results.Variant {
		v := results.Variant{Name: results.VariantName(set, mode, toctou, stats), Mode: mode, Set: set, Syscalls: syscalls,
			Stats: stats, RingSize: probes.DefaultRingSize, Snaplen: probes.DefaultSnaplen}
		if mode == probes.ModeExitOnly {
			v.TOCTOU = toctou
		}
		return v
	}
	return []fixtureVariant{
		{v: results.Variant{Name: "baseline", Mode: probes.ModeNone, Stats: true, Baseline: true}, rpsRatio: 1},
		{v: results.Variant{Name: "baseline_nostats", Mode: probes.ModeNone, Stats: false, Baseline: true}, rpsRatio: 1},
		{v: results.Variant{Name: "floor", Mode: probes.ModeFloor, Stats: true}, rpsRatio: 0.90, progs: []fixtureProg{
			{"floor_enter", "tp_btf/sys_enter", 0, 31.2}, {"floor_exit", "tp_btf/sys_exit", 0, 30.8}}},
		{v: probe("small", smallSet, probes.ModeEnterExit, "", true), progs: []fixtureProg{enter(83.1), exit(96.5)},
			perSys: 2, evBytes: 58, rpsRatio: 0.79},
		{v: probe("small", smallSet, probes.ModeExitOnly, probes.TOCTOUNone, true), progs: []fixtureProg{exit(116.1)},
			perSys: 1, evBytes: 90, rpsRatio: 0.84},
		{v: probe("small", smallSet, probes.ModeExitOnly, probes.TOCTOUNone, false), progs: []fixtureProg{exit(0)},
			perSys: 1, evBytes: 90, rpsRatio: 0.90},
		{v: probe("big", bigSet, probes.ModeEnterExit, "", true), progs: []fixtureProg{enter(163.6), exit(199.0)},
			perSys: 2, evBytes: 43, rpsRatio: 0.68, drops: map[int]uint64{3: 1520}},
		{v: probe("big", bigSet, probes.ModeExitOnly, probes.TOCTOUNone, true), progs: []fixtureProg{exit(237.7)},
			perSys: 1, evBytes: 55, rpsRatio: 0.78},
		{v: probe("big", bigSet, probes.ModeExitOnly, probes.TOCTOUStash, true), progs: []fixtureProg{exit(241.2),
			{"toctou_openat", "tracepoint/syscalls/sys_enter_openat", 1_200, 912},
			{"toctou_connect", "tracepoint/syscalls/sys_enter_connect", 600, 655}},
			perSys: 1, evBytes: 55, rpsRatio: 0.77},
	}
}

// makeFixture builds a results file of rounds measured rounds (plus one
// warm-up) with noise drawn from seed. failRound >= 0 makes that round of
// big/exit_only+stash fail.
func makeFixture(seed uint64, commit string, rounds, failRound int) *results.Results {
	rng := rand.New(rand.NewPCG(seed, 0x62656e6368))
	norm := func(sd float64) float64 { return 1 + sd*rng.NormFloat64() }
	start := time.Date(2025, 11, 3, 9, 30, 0, 0, time.UTC)
	vars := fixtureVariants()
	res := &results.Results{
		Schema: results.SchemaVersion,
		Scenario: results.ScenarioInfo{
			Name: "redis", File: "scenarios/redis.yaml",
			SHA256:      "9f2c6a41d0b7e35c8a1f4e6d2b9c7a0e5f3d1c8b6a4e2f0d9c7b5a3e1f0d2c4b",
			Workload:    "redis: -t ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset -n 100000",
			Repetitions: rounds, Warmup: 1,
			Gate: map[string]float64{"ns_per_syscall": 5, "overhead": 5},
		},
		Environment: results.Environment{
			Kernel: "6.18.0-2-cloud-amd64", Arch: "amd64", CPUModel: "AMD EPYC 7B13 64-Core Processor", CPUs: 2,
			MemoryBytes: 4 << 30, ClockSource: "tsc", Hostname: "bench-kvm-2",
			BenchctlVersion: "v0.1.0", BenchctlCommit: commit, GoVersion: "go1.26.8",
			StatsMethod: "BPF_ENABLE_STATS", Time: start,
			Instructions: "not available: ENOENT (no hardware PMU)",
		},
		Seed:     int64(seed),
		Complete: true,
		Started:  start,
	}
	var total uint64
	for _, n := range fixtureFingerprint {
		total += n
	}
	res.Fingerprint = &results.Fingerprint{Total: total, Syscalls: map[string]uint64{}}
	for k, n := range fixtureFingerprint {
		res.Fingerprint.Syscalls[k] = n
	}
	for _, fv := range vars {
		res.Variants = append(res.Variants, fv.v)
	}

	clock := start.Add(40 * time.Second)
	for round := -1; round < rounds; round++ {
		drift := norm(0.015) // the machine's mood this round, shared by every variant
		order := rng.Perm(len(vars))
		runs := make([]results.Run, len(vars))
		for i, fv := range vars {
			runs[i] = fixtureRun(fv, round, failRound, drift, norm)
		}
		for pos, i := range order {
			run := runs[i]
			run.Order = pos
			run.Start = clock
			clock = clock.Add(run.Wall + 3*time.Second)
			res.Runs = append(res.Runs, run)
		}
	}
	res.Finished = clock
	results.Derive(res)
	return res
}

func fixtureRun(fv fixtureVariant, round, failRound int, drift float64, norm func(float64) float64) results.Run {
	const requests = 1_100_000
	run := results.Run{Variant: fv.v.Name, Round: round, Warmup: round < 0}
	rps := 142_000 * fv.rpsRatio * drift * norm(0.008)
	wall := time.Duration(requests / rps * float64(time.Second)).Round(time.Millisecond)
	run.Wall = wall + 180*time.Millisecond
	// Latency follows the run's own throughput (a fixed number of
	// clients: latency × requests/s is constant), and the tail grows
	// more than the median as tracing slows the server down. Like
	// redis-benchmark, the figures have three decimals.
	slow := 142_000 / rps
	tail := 2 - fv.rpsRatio
	ms := func(x float64) float64 { return math.Round(x*1000) / 1000 }
	run.Workload = workloads.Result{Throughput: math.Round(rps*100) / 100, Unit: "req/s", Ops: requests, Wall: wall,
		Latency: &workloads.Latency{AvgMs: ms(0.31 * slow), MinMs: 0.09, P50Ms: ms(0.30 * slow),
			P95Ms: ms(0.45 * slow * tail), P99Ms: ms(0.62 * slow * tail), MaxMs: 3.1}}
	// The workload's CPU time: 11.5 µs per request, a little more when
	// the run was slow (no draw of its own, so the other figures stay
	// those of the fixtures before CPU time was measured), plus the
	// programs' run time, added below, since they run in its context.
	// Microseconds, as cpu.stat has them.
	us := func(x float64) float64 { return math.Round(x*1e6) / 1e6 }
	run.Workload.CPUSeconds = us(requests * 11.5e-6 * math.Pow(142_000*fv.rpsRatio/rps, 0.3))
	run.Workload.CPUMethod = results.WorkloadCPUCgroup
	if fv.v.Name == "big/exit_only+stash" && round == failRound {
		run.Error = "running workload: redis-benchmark: exit status 1"
		run.Workload = workloads.Result{}
		return run
	}
	if fv.v.Mode == probes.ModeNone {
		return run
	}

	// Syscalls the machine made: the workload's plus a little noise.
	scale := norm(0.003)
	var syscalls uint64
	for _, n := range fixtureFingerprint {
		syscalls += n
	}
	syscalls = uint64(float64(syscalls) * scale)
	var traced uint64
	perType := map[string]uint64{}
	for _, name := range fv.v.Syscalls {
		n := uint64(float64(fixtureFingerprint[name]) * scale)
		if n == 0 {
			continue
		}
		traced += n
		if fv.perSys == 2 {
			perType[name+"_enter"] = n
		}
		perType[name+"_exit"] = n
	}
	for _, p := range fv.progs {
		ps := probes.ProgramStats{Name: p.name, AttachPoint: p.attach}
		if fv.v.Stats {
			ps.RunCount = p.runs
			if ps.RunCount == 0 {
				ps.RunCount = syscalls
				if results.ProgramRole(p.name) == results.RoleEnter {
					ps.RunCount += 45
				}
			}
			ps.RunTimeNs = uint64(float64(ps.RunCount) * p.avgNs * norm(0.01))
		}
		run.Programs = append(run.Programs, ps)
	}
	events := traced * uint64(fv.perSys)
	drops := fv.drops[round]
	run.Kernel = probes.Counters{Attempted: events, DropsFull: drops}
	received := events - drops
	bytes := uint64(float64(received) * fv.evBytes * norm(0.002))
	run.User = probes.ConsumerStats{Events: received, Bytes: bytes, PerType: perType,
		CPUSeconds: math.Round(float64(received)*215e-9*norm(0.03)*1000) / 1000}
	var kernelNs uint64
	for _, p := range run.Programs {
		kernelNs += p.RunTimeNs
	}
	if !fv.v.Stats {
		// Unmeasured, the programs cost what they cost with stats on.
		kernelNs = uint64(float64(syscalls) * 116)
	}
	run.Workload.CPUSeconds = us(run.Workload.CPUSeconds + float64(kernelNs)/1e9)
	// benchctl's process beside the consumer thread: the Go runtime and
	// its garbage collector, 12% more, and 4 ms of polling empty rings.
	run.Tracer = &results.TracerStats{CPUSeconds: math.Round((run.User.CPUSeconds*1.12+0.004)*1000) / 1000,
		CPUWindow: results.CPUWindowWorkloadToDrain, CPUMethod: results.TracerCPUProcess}
	return run
}

// slower returns a copy of r whose probe runs are slower by factor f:
// every program takes f times as long (the workload's CPU time grows by
// the difference), the workload's throughput is divided by f and its
// latency multiplied by f; Derive recomputes the
// derived figures.
func slower(r *results.Results, f float64) *results.Results {
	data, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	var out results.Results
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	for i := range out.Runs {
		run := &out.Runs[i]
		if v, _ := out.Variant(run.Variant); v.Baseline || run.Error != "" {
			continue
		}
		for j := range run.Programs {
			p := &run.Programs[j]
			// The programs run in the workload's context: their extra
			// time is the workload's CPU time too.
			extra := uint64(float64(p.RunTimeNs)*f) - p.RunTimeNs
			run.Workload.CPUSeconds = math.Round((run.Workload.CPUSeconds+float64(extra)/1e9)*1e6) / 1e6
			p.RunTimeNs += extra
		}
		run.Workload.Throughput = math.Round(run.Workload.Throughput/f*100) / 100
		if l := run.Workload.Latency; l != nil {
			slow := *l
			for _, x := range []*float64{&slow.AvgMs, &slow.P50Ms, &slow.P95Ms, &slow.P99Ms} {
				*x = math.Round(*x*f*1000) / 1000
			}
			run.Workload.Latency = &slow
		}
	}
	results.Derive(&out)
	return &out
}

func TestGenerateFixtures(t *testing.T) {
	if !*genFixtures {
		t.Skip("run with -gen to rewrite the fixtures")
	}
	files := map[string]*results.Results{
		"base.json": makeFixture(1, "1dd4f1e0a4c2b7d9e8f6a5b4c3d2e1f0a9b8c7d6", 5, 2),
		"head.json": makeFixture(2, "0790763c1b2a3d4e5f6a7b8c9d0e1f2a3b4c5d6e", 5, -1),
		"ten.json":  makeFixture(3, "1dd4f1e0a4c2b7d9e8f6a5b4c3d2e1f0a9b8c7d6", 10, -1),
	}
	files["anatomy.json"] = anatomyFixture()
	files["head_slow.json"] = slower(makeFixture(2, "5d1e0c3b2a4f6e8d0c2b4a6f8e0d2c4b6a8f0e1d", 5, -1), 1.10)
	files["head_slow.json"].Environment.BenchctlCommit = "5d1e0c3b2a4f6e8d0c2b4a6f8e0d2c4b6a8f0e1d"
	for name, r := range files {
		if err := r.Write(filepath.Join("testdata", name)); err != nil {
			t.Fatal(err)
		}
	}
}
