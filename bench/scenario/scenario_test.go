package scenario

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/record"
	"github.com/benchctl/benchctl/workloads"
)

func TestShippedScenariosValidate(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"redis", "quick", "ci"} {
		if !slices.Contains(files, "../../scenarios/"+name+".yaml") {
			t.Errorf("scenarios/%s.yaml is missing", name)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Parse(f)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			vs, err := sc.Expand()
			if err != nil {
				t.Fatalf("Expand: %v", err)
			}
			if len(vs) < 2 || vs[0].Name != results.BaselineName {
				t.Errorf("variants start %v, want the baseline first and more than one", names(vs))
			}
		})
	}
}

// TestRedisScenarioIsTheProposals pins what redis.yaml must hold.
func TestRedisScenarioIsTheProposals(t *testing.T) {
	sc, err := Parse("../../scenarios/redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Workload.Type != "redis" || !slices.Equal(sc.Workload.Redis.Tests, ProposalRedisTests) {
		t.Errorf("workload = %s %v, want redis with the proposal's eleven tests", sc.Workload.Type, sc.Workload.Redis.Tests)
	}
	if sc.Workload.Redis.Transport != workloads.RedisTCP {
		t.Errorf("transport = %q, want tcp: the proposal measured over TCP", sc.Workload.Redis.Transport)
	}
	want := map[string][]string{
		"idle":  {"open_by_handle_at"},
		"small": {"sendto", "recvfrom"},
		"big": {"read", "write", "close", "fcntl", "gettimeofday", "epoll_ctl", "epoll_wait",
			"clock_gettime", "clock_nanosleep", "socket", "connect", "sendto", "recvfrom",
			"setsockopt", "accept", "accept4"},
	}
	if len(sc.Sets) != len(want) {
		t.Errorf("%d sets, want %d", len(sc.Sets), len(want))
	}
	for _, s := range sc.Sets {
		if w, ok := want[s.Name]; !ok || !slices.Equal(s.Syscalls, w) {
			t.Errorf("set %s = %v, want %v", s.Name, s.Syscalls, w)
		}
	}
	if !slices.Equal(sc.Modes, []record.Mode{record.ModeEnterExit, record.ModeExitOnly}) {
		t.Errorf("modes = %v", sc.Modes)
	}
	vs, _ := sc.Expand()
	for _, n := range []string{"big/enter_exit_nostats", "big/exit_only_nostats", results.BaselineNoStatsName, results.FloorName} {
		if !slices.Contains(names(vs), n) {
			t.Errorf("no variant %s in %v", n, names(vs))
		}
	}
	if sc.Auto != nil || sc.Repetitions != 6 {
		t.Errorf("repetitions %d, auto %+v; want 6", sc.Repetitions, sc.Auto)
	}
	// The estimate assumes a slow day's ~87k requests/s.
	total, _, ok := sc.Estimate(len(vs), sc.Repetitions, sc.Warmup)
	if !ok || total < 8*time.Minute || total > 14*time.Minute {
		t.Errorf("estimated %s, want 8 to 14 minutes", total)
	}
}

func TestQuickAndCIScenariosAreSmall(t *testing.T) {
	for _, c := range []struct {
		file string
		max  time.Duration
	}{{"../../scenarios/quick.yaml", time.Minute}, {"../../scenarios/ci.yaml", 2 * time.Minute}} {
		sc, err := Parse(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Workload.Type != "syscalls" {
			t.Errorf("%s: workload %s, want the built-in syscalls generator", c.file, sc.Workload.Type)
		}
		vs, _ := sc.Expand()
		total, _, ok := sc.Estimate(len(vs), sc.Repetitions, sc.Warmup)
		if !ok || total >= c.max {
			t.Errorf("%s: estimated %s, want under %s", c.file, total, c.max)
		}
	}
}

func TestParseFullScenario(t *testing.T) {
	sc, err := Parse("testdata/good/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "full-example" || sc.Description == "" {
		t.Errorf("name %q description %q", sc.Name, sc.Description)
	}
	c := sc.Workload.Command
	if sc.Workload.Type != "command" || len(c.Argv) != 3 || c.Dir != "/tmp" || c.Unit != "ops/s" || c.ThroughputRegex == "" {
		t.Errorf("command workload = %+v", c)
	}
	if !slices.Equal(c.Env, []string{"LC_ALL=C", "FOO=bar=baz"}) {
		t.Errorf("env = %v", c.Env)
	}
	if sc.Workload.Estimate != 2*time.Second {
		t.Errorf("estimate = %s", sc.Workload.Estimate)
	}
	if sc.Repetitions != 7 || sc.Warmup != 2 || sc.RingSize != 1<<20 || sc.Snaplen != 128 {
		t.Errorf("repetitions %d warmup %d ring %d snaplen %d", sc.Repetitions, sc.Warmup, sc.RingSize, sc.Snaplen)
	}
	if !slices.Equal(sc.TOCTOU, []record.TOCTOU{record.TOCTOUNone, record.TOCTOUStash, record.TOCTOUEnterEvent}) {
		t.Errorf("toctou = %v", sc.TOCTOU)
	}
	wantGate := map[string]float64{"ns_per_syscall": 2.5, "kernel_time": 5, "overhead": 10, "drop_ratio": 1}
	if len(sc.Gate) != len(wantGate) {
		t.Errorf("gate = %v, want %v", sc.Gate, wantGate)
	}
	for k, v := range wantGate {
		if sc.Gate[k] != v {
			t.Errorf("gate[%s] = %v, want %v", k, sc.Gate[k], v)
		}
	}
	if len(sc.Extra) != 4 {
		t.Fatalf("%d explicit variants, want 4", len(sc.Extra))
	}
	// The alias *files resolves to the set's list.
	if !slices.Equal(sc.Extra[1].Syscalls, []string{"openat", "close"}) {
		t.Errorf("inline syscalls = %v", sc.Extra[1].Syscalls)
	}
	if sc.Extra[0].RingSize != 64<<10 || sc.Extra[0].Snaplen != 16 {
		t.Errorf("variant ring %d snaplen %d", sc.Extra[0].RingSize, sc.Extra[0].Snaplen)
	}
}

func TestParseDefaults(t *testing.T) {
	sc, err := Parse("testdata/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "minimal" {
		t.Errorf("name %q, want the file's base name", sc.Name)
	}
	if sc.Repetitions != DefaultRepetitions || sc.Warmup != DefaultWarmup || !sc.Stats || !sc.Floor {
		t.Errorf("defaults: repetitions %d warmup %d stats %v floor %v", sc.Repetitions, sc.Warmup, sc.Stats, sc.Floor)
	}
	if sc.RingSize != record.DefaultRingSize || sc.Snaplen != record.DefaultSnaplen {
		t.Errorf("ring %d snaplen %d", sc.RingSize, sc.Snaplen)
	}
	if len(sc.Gate) != len(results.DefaultGate) {
		t.Errorf("gate %v, want the default %v", sc.Gate, results.DefaultGate)
	}
	if sc.Workload.Syscalls.Duration != 500*time.Millisecond || sc.Workload.Syscalls.Mix != "getpid" {
		t.Errorf("syscalls = %+v", sc.Workload.Syscalls)
	}

	sc, err = Parse("testdata/good/redis_defaults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Workload.Redis
	if r.Requests != DefaultRedisRequests || r.Clients != 10 || r.Pipeline != 4 || r.DataSize != 32 || r.Keyspace != 1000 || r.Threads != 2 ||
		r.ServerBin != "/usr/bin/redis-server" || r.BenchBin != "/usr/bin/redis-benchmark" || len(r.Tests) != 0 || r.Transport != workloads.RedisTCP {
		t.Errorf("redis = %+v", r)
	}
	if sc.Stats || sc.Floor {
		t.Errorf("stats %v floor %v, want both off", sc.Stats, sc.Floor)
	}
}

// TestBadScenarios checks that each bad fixture fails with its file and
// line, the expected message, and a hint.
func TestBadScenarios(t *testing.T) {
	cases := []struct {
		file string
		line int
		msg  string // the message, after "file:line: "
		hint string // a part of the hint; "" when there is none
	}{
		{"unknown_key.yaml", 8, `scenario: unknown key "repetition"`, "did you mean repetitions?"},
		{"unknown_syscall.yaml", 6, `set files: unknown syscall "opn" on amd64`, "did you mean open"},
		{"unknown_mode.yaml", 9, `unknown mode "exit_onyl"`, "did you mean exit_only?"},
		{"unknown_workload_type.yaml", 2, `unknown workload type "redsi"`, "did you mean redis?"},
		{"unknown_redis_transport.yaml", 3, `unknown redis transport "udp"`, "tcp"},
		{"empty_set.yaml", 7, `set "none" is empty`, "list at least one syscall"},
		{"duplicate_variant.yaml", 9, `duplicate variant name "big/exit_only"`, "sets × modes matrix"},
		{"duplicate_explicit_variant.yaml", 11, `duplicate variant name "mine"`, "the variant on line 8"},
		{"repetitions_zero.yaml", 5, `repetitions 0 is out of range`, "from 1 to 1000"},
		{"ring_size.yaml", 8, `impossible ring_size 3000`, "power of two"},
		{"snaplen.yaml", 5, `snaplen 100000 is out of range`, "from 1 to 4096"},
		{"gate_threshold.yaml", 6, `impossible gate threshold -3 for overhead`, "above 0"},
		{"gate_metric.yaml", 6, `unknown gate metric "overhed"`, "did you mean overhead?"},
		{"workload_key_of_other_type.yaml", 4, `workload key "mix" belongs to the syscalls workload, not redis`, "redis workloads take"},
		{"mode_none.yaml", 7, `mode none cannot be crossed with sets`, "always included"},
		{"toctou_enter_exit.yaml", 10, `toctou "stash" with mode enter_exit`, "exit_only only"},
		{"floor_with_set.yaml", 11, `a floor variant takes no syscalls`, "traces nothing"},
		{"empty.yaml", 1, `empty scenario file`, "mapping"},
		{"invalid_yaml.yaml", 2, `invalid YAML: did not find expected ',' or ']'`, "indentation"},
		{"duplicate_key.yaml", 6, `scenario: key "warmup" given twice`, "line 5"},
		{"no_workload.yaml", 1, `scenario has no workload`, "add a workload section"},
		{"count_and_duration.yaml", 5, `syscalls workload takes count or duration, not both`, "keep one"},
		{"regex_without_value.yaml", 4, `throughput_regex has no group named value`, "(?P<value>"},
		{"nostats_unknown_set.yaml", 8, `nostats_sets: no set named "bgi"`, "did you mean big?"},
		{"variant_unknown_set.yaml", 10, `variant: no set named "bigg"`, "did you mean big?"},
		{"variant_unknown_key.yaml", 10, `variant: unknown key "stat"`, "did you mean stats"},
		{"two_documents.yaml", 5, `more than one YAML document`, "one document"},
		{"unknown_mix.yaml", 3, `unknown syscalls mix "getpdi"`, "did you mean getpid?"},
		{"set_as_string.yaml", 6, `set small must be a list, not "sendto, recvfrom"`, "[sendto, recvfrom]"},
		{"duplicate_syscall.yaml", 6, `set small: syscall "sendto" listed twice`, "already on line 6"},
		{"warmup_negative.yaml", 5, `warmup -1 is out of range`, "from 0 to 100"},
		{"unknown_redis_test.yaml", 3, `unknown redis-benchmark test "gett"`, "did you mean get"},
		{"toctou_without_exit_only.yaml", 8, `toctou without mode exit_only`, "add it to modes"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(strings.TrimSuffix(c.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata/bad", c.file)
			_, err := Parse(path)
			if err == nil {
				t.Fatal("parsed without error")
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v (%T) is not Errors", err, err)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatal("errors.As finds no *Error")
			}
			for _, e := range errs {
				if e.File == path && e.Line == c.line && e.Msg == c.msg {
					if !strings.Contains(e.Hint, c.hint) {
						t.Errorf("hint %q, want it to contain %q", e.Hint, c.hint)
					}
					if want := path + ":" + strconv.Itoa(c.line) + ": " + c.msg; !strings.HasPrefix(e.Error(), want) {
						t.Errorf("Error() = %q, want prefix %q", e.Error(), want)
					}
					if c.hint != "" && !strings.HasSuffix(e.Error(), ")") {
						t.Errorf("Error() = %q has no (hint: ...)", e.Error())
					}
					return
				}
			}
			t.Errorf("got\n%v\nwant %s:%d: %s", err, path, c.line, c.msg)
		})
	}
	// Every fixture has a case.
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no test case", f)
		}
	}
}

func TestScenarioErrorsAreAllReported(t *testing.T) {
	data := []byte(`workload:
  type: syscalls
  mix: getpid
  count: 1000
sets:
  a: [nosuch1]
  b: [nosuch2]
repetitions: 0
colour: blue
`)
	_, err := ParseBytes("x.yaml", data)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if !slices.Equal(lines, []int{6, 7, 8, 9}) {
		t.Errorf("errors on lines %v, want 6 7 8 9:\n%v", lines, err)
	}
}

func TestParseScenarioMissingFile(t *testing.T) {
	_, err := Parse("testdata/nosuch.yaml")
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a not-exist error", err)
	}
	var se *Error
	if errors.As(err, &se) {
		t.Error("a missing file is not a scenario error")
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int{"4096": 4096, "64KiB": 64 << 10, "8MiB": 8 << 20, "8M": 8 << 20, "1GiB": 1 << 30, "16MB": 16 << 20} {
		data := []byte("workload: {type: syscalls, mix: getpid, count: 10}\nring_size: " + in + "\n")
		sc, err := ParseBytes("s.yaml", data)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if sc.RingSize != want {
			t.Errorf("%s = %d, want %d", in, sc.RingSize, want)
		}
	}
	// 17179869185G is 2^64 + 1GiB and 9007199254740993M is 2^73 + 1MiB:
	// shifted, they would wrap to sizes that pass.
	for _, in := range []string{"8 parsecs", "12MiB", "2KiB", "2GiB", "-4096", "1.5MiB", "17179869185G", "9007199254740993M", "18014398509481985K", "99999999999999999999"} {
		data := []byte("workload: {type: syscalls, mix: getpid, count: 10}\nring_size: " + in + "\n")
		if _, err := ParseBytes("s.yaml", data); err == nil {
			t.Errorf("ring_size %s accepted", in)
		}
	}
}

func TestDescribeWorkload(t *testing.T) {
	w := WorkloadSpec{Type: "command", Command: workloads.CommandConfig{Argv: []string{"sh", "-c", "echo 'hi there'"}}}
	if got := w.Describe(); !strings.Contains(got, "sh") {
		t.Errorf("Describe() = %q", got)
	}
}

func names(vs []results.Variant) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

// TestEstimateSaturates: an estimate too long for a time.Duration is the
// longest one, never a wrapped negative one.
func TestEstimateSaturates(t *testing.T) {
	sc := mustParse(t, "workload: {type: syscalls, mix: getpid, duration: 10s}\n")
	for _, tc := range []struct{ variants, reps, warmup int }{
		{3, 5, 1}, {20, 1 << 40, 0}, {1 << 20, 1 << 40, 1 << 40}, {math.MaxInt32, math.MaxInt32, math.MaxInt32},
	} {
		total, per, ok := sc.Estimate(tc.variants, tc.reps, tc.warmup)
		if !ok || per <= 0 || total < per {
			t.Errorf("Estimate(%d, %d, %d) = %s, %s a run, want at least a run", tc.variants, tc.reps, tc.warmup, total, per)
		}
	}
	w := WorkloadSpec{Type: "syscalls", Syscalls: workloads.SyscallsConfig{Count: math.MaxInt64}}
	if d, ok := w.EstimateRun(); !ok || d <= 0 {
		t.Errorf("EstimateRun of %d syscalls = %s", w.Syscalls.Count, d)
	}
	w = WorkloadSpec{Type: "redis", Redis: workloads.RedisConfig{Requests: math.MaxInt64}}
	if d, ok := w.EstimateRun(); !ok || d <= 0 {
		t.Errorf("EstimateRun of %d redis requests = %s", w.Redis.Requests, d)
	}
}
