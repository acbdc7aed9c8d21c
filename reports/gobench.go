package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/benchctl/benchctl/bench/results"
)

// gobenchUnits maps measures to Go benchmark units. Units name what is
// measured so benchstat labels its tables; all are per run.
var gobenchUnits = []struct {
	key, unit string
	div       float64 // the measure's value is divided by div
}{
	{"throughput", "", 1},         // the workload's unit, e.g. req/s
	{"overhead", "overhead-%", 1}, // throughput lost against the round's baseline
	{"enter_avg_ns", "sys_enter-ns/call", 1},
	{"exit_avg_ns", "sys_exit-ns/call", 1},
	{"other_avg_ns", "other-ns/call", 1},
	{"kernel_time_ns", "kernel-sec", 1e9},
	{"ns_per_syscall", "kernel-ns/syscall", 1},
	{"events", "events", 1},
	{"events_per_syscall", "events/syscall", 1},
	{"bytes", "B", 1},
	{"avg_event_size", "B/event", 1},
	{"drops", "drops", 1},
	{"path_reads_failed", "failed-path-reads", 1},
	{"consumer_cpu_s", "consumer-sec", 1e9},
	// The workload's latency (see results.RunLatency), and its change
	// against the round's baseline in percent (positive: slower).
	{"latency_p50_ns", "p50-latency-sec", 1e9},
	{"latency_p99_ns", "p99-latency-sec", 1e9},
	{"latency_p50_change", "p50-latency-vs-baseline-%", 1},
	{"latency_p99_change", "p99-latency-vs-baseline-%", 1},
	// CPU time per unit of work: the workload's, the tracer's, both, and
	// both against the round's baseline in percent (positive: more CPU).
	{"workload_cpu_per_op", "workload-cpu-sec/op", 1e9},
	{"tracer_cpu_per_op", "tracer-cpu-sec/op", 1e9},
	{"cpu_per_op", "cpu-sec/op", 1e9},
	{"cpu_per_op_change", "cpu-per-op-vs-baseline-%", 1},
}

// GoBench writes every measured run of r in the Go benchmark format, one
// line per run named Benchmark<Scenario>/variant=<name>, so that
// `benchstat old.txt new.txt` compares two results files. Variant names
// have "/" replaced by ":" so benchstat sees one name key. The file keys
// are goos, goarch, pkg (benchctl/<scenario>) and cpu. Units that are
// better when higher are declared with "Unit ... better=higher".
func GoBench(w io.Writer, r *results.Results) error {
	bw := benchfmt.NewWriter(w)
	env := r.Environment
	cfg := []benchfmt.Config{}
	addCfg := func(k, v string) {
		if v = strings.TrimSpace(strings.ReplaceAll(v, "\n", " ")); v != "" {
			cfg = append(cfg, benchfmt.Config{Key: k, Value: []byte(v), File: true})
		}
	}
	addCfg("goos", "linux")
	addCfg("goarch", env.Arch)
	addCfg("pkg", "benchctl/"+r.Scenario.Name)
	addCfg("cpu", env.CPUModel)
	// Only keys that stay the same between two runs of one scenario on
	// one machine: benchstat puts results with other file keys in other
	// tables, so a commit hash here would keep it from comparing.

	name := benchName(r.Scenario.Name)
	unitsBetterHigher := map[string]bool{}
	for _, v := range r.Variants {
		runs := r.RunsOf(v.Name)
		for _, run := range runs {
			res := &benchfmt.Result{Config: cfg, Name: benchfmt.Name(name + "/variant=" + benchKey(v.Name)), Iters: 1}
			for _, u := range gobenchUnits {
				m, ok := results.MeasureByKey(u.key)
				if !ok {
					m, _ = results.GateMeasure(u.key)
				}
				x, ok := m.Value(v, run)
				if !ok {
					continue
				}
				unit := u.unit
				if unit == "" {
					unit = strings.Join(strings.Fields(run.Workload.Unit), "_")
					if unit == "" {
						unit = "ops/s"
					}
				}
				if m.Better > 0 {
					unitsBetterHigher[unit] = true
				}
				res.Values = append(res.Values, benchfmt.Value{Value: x / u.div, Unit: unit})
			}
			if run.Load != nil && run.Load.Refusal == nil {
				// Exact, per run: benchstat shows any change as it is.
				if max, total := loadTotals(run.Load); total > 0 {
					res.Values = append(res.Values, benchfmt.Value{Value: float64(max), Unit: "max-verified-insns"},
						benchfmt.Value{Value: float64(total), Unit: "verified-insns"})
				}
			}
			if len(res.Values) == 0 {
				continue
			}
			if err := bw.Write(res); err != nil {
				return fmt.Errorf("writing gobench: %w", err)
			}
		}
	}
	capUnits, err := capacityGoBench(bw, cfg, name, r)
	if err != nil {
		return err
	}
	for _, u := range capUnits {
		unitsBetterHigher[u] = true
	}
	// Unit metadata goes last: benchstat reads it wherever it is.
	var units []string
	for u := range unitsBetterHigher {
		units = append(units, u)
	}
	slices.Sort(units)
	for _, u := range units {
		if err := bw.Write(&benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u, Key: "better"}, OrigUnit: u, Value: "higher"}); err != nil {
			return fmt.Errorf("writing gobench: %w", err)
		}
	}
	return nil
}

// benchName makes a scenario name a benchmark name: capitalized, no
// spaces or slashes.
func benchName(s string) string {
	s = benchKey(s)
	if s == "" {
		return "Benchctl"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// benchKey makes s safe inside a benchmark name or unit: no spaces, no
// "/", no "=".
func benchKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n':
			return '_'
		case '/':
			return ':'
		case '=':
			return '-'
		}
		return r
	}, s)
}
