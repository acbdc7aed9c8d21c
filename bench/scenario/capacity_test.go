package scenario

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// TestBadCapacityScenarios: every bad capacity input is an error at its
// file:line with a hint, as `validate` reports them (exit 2).
func TestBadCapacityScenarios(t *testing.T) {
	cases := []struct {
		file string
		line int
		msg  string
		hint string
	}{
		{"max_rate_unreachable.yaml", 5, "capacity max_rate 5000000 syscalls/s is unreachable", "add threads or lower the rate"},
		{"workload_rate_unreachable.yaml", 5, "workload rate 9000000 syscalls/s is unreachable", "1 generator thread(s) of mix rw_pipe reach at most 4000000"},
		{"ring_too_small.yaml", 4, "ring_size 4096 is too small for one event", "at least 16KiB"},
		{"variant_ring_too_small.yaml", 6, "variant ring_size 8192 is too small for one event", "at least 16KiB"},
		{"tracer_without_drops.yaml", 6, "tracer sinsp has no drop counter, so its capacity cannot be searched", "group named drops"},
		{"rate_zero.yaml", 5, "workload rate 0: a rate must be above 0", "positive number"},
		{"start_rate_negative.yaml", 5, "capacity start_rate -100: a rate must be above 0", "positive number"},
		{"not_syscalls.yaml", 4, "capacity needs the syscalls workload, not redis", "built-in generator"},
		{"consumer_unknown.yaml", 4, `consumer: unknown consumer "statefull"`, "`stateful`"},
		{"capacity_unknown_key.yaml", 5, `capacity: unknown key "repeat"`, "did you mean repeats?"},
	}
	files, _ := filepath.Glob("testdata/bad-capacity/*.yaml")
	if len(files) != len(cases) {
		t.Errorf("%d fixtures, %d cases: every fixture needs one", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".yaml"), func(t *testing.T) {
			path := filepath.Join("testdata/bad-capacity", c.file)
			_, err := Parse(path)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v, want Errors", err)
			}
			for _, e := range errs {
				if e.Line == c.line && e.Msg == c.msg {
					if !strings.Contains(e.Hint, c.hint) {
						t.Errorf("hint %q, want it to contain %q", e.Hint, c.hint)
					}
					if want := path + ":" + strconv.Itoa(c.line) + ": " + c.msg; !strings.HasPrefix(e.Error(), want) {
						t.Errorf("Error() = %q, want prefix %q", e.Error(), want)
					}
					return
				}
			}
			t.Errorf("got\n%v\nwant %s:%d: %s", err, path, c.line, c.msg)
		})
	}
}

// TestCapacityKeys parses every capacity key, the consumer in its three
// spellings, and the workload's rate, and checks where they land.
func TestCapacityKeys(t *testing.T) {
	sc, err := ParseBytes("cap.yaml", []byte(`
workload: {type: syscalls, mix: getpid, threads: 2, duration: 1s, rate: 50000}
sets: {g: [getpid]}
modes: [enter_exit, exit_only]
consumer: stateful
ring_size: 64KiB
capacity:
  target_drop_ratio: 0.001
  repeats: 4
  resolution: 0.1
  start_rate: 1000
  max_rate: 100000
  min_step: 500ms
  max_step: 3s
  threads: 3
variants:
  - {name: spun, set: g, mode: exit_only, consumer: {spin: 2us}}
  - {name: both, set: g, mode: exit_only, consumer: {spin: 1us, stateful: true}}
  - {name: counting, set: g, mode: exit_only, consumer: count}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := results.CapacitySettings{TargetDropRatio: 0.001, Repeats: 4, Resolution: 0.1, StartRate: 1000, MaxRate: 100000,
		MinStep: 500 * time.Millisecond, MaxStep: 3 * time.Second, Threads: 3}
	if sc.Capacity == nil || sc.Capacity.CapacitySettings != want {
		t.Errorf("capacity %+v, want %+v", sc.Capacity, want)
	}
	if sc.Workload.Syscalls.Rate != 50000 {
		t.Errorf("workload rate %g", sc.Workload.Syscalls.Rate)
	}
	vs, err := sc.Expand()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		got[v.Name] = "count"
		if v.Consumer != nil {
			got[v.Name] = describeCostForTest(*v.Consumer)
		}
	}
	for name, c := range map[string]string{
		"baseline": "count", "floor": "count", "g/enter_exit": "stateful", "g/exit_only": "stateful",
		"spun": "spin 2µs", "both": "stateful+spin 1µs", "counting": "count",
	} {
		if got[name] != c {
			t.Errorf("%s: consumer %q, want %q", name, got[name], c)
		}
	}
	// `capacity:` alone takes every default.
	sc, err = ParseBytes("cap.yaml", []byte("workload: {type: syscalls, mix: getpid, duration: 1s}\nsets: {g: [getpid]}\nmodes: [exit_only]\ncapacity:\n"))
	if err != nil {
		t.Fatal(err)
	}
	def := results.DefaultCapacitySettings()
	def.Threads = 0
	if sc.Capacity == nil || sc.Capacity.CapacitySettings != def {
		t.Errorf("capacity %+v, want the defaults %+v", sc.Capacity, def)
	}
}

func describeCostForTest(c results.ConsumerCost) string {
	s := ""
	if c.Stateful {
		s = "stateful"
	}
	if c.Spin > 0 {
		if s != "" {
			s += "+"
		}
		s += "spin " + c.Spin.String()
	}
	return s
}
