package compare

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// FuzzCompare edits pairs of results files field by field and checks
// the gate's promise (issue 29): Compare passes (StatusPass) only when
// every gated figure was computed on both sides, from comparable
// environments. The edits are what a results file (or an arithmetic
// slip in deriving one) can hold: other environments and scenarios,
// programs gone, runs failed or dropped, throughputs and program counts
// at their extremes, figures that are not finite, noisy runs, a head
// that is the base. The oracle below restates the promise on its own
// terms instead of calling Compare's helpers.
//
//	go test ./bench/compare -run '^$' -fuzz FuzzCompare -fuzztime 10m -parallel 1
func FuzzCompare(f *testing.F) {
	// The redis fixtures cut to five variants (both baselines, one with
	// stats off, one with drops), so an exec takes milliseconds.
	keep := []string{"baseline", "baseline_nostats", "small/exit_only", "small/exit_only_nostats", "big/enter_exit"}
	files := map[string][]byte{}
	for _, name := range []string{"base.json", "head.json", "head_slow.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		var r results.Results
		if err := json.Unmarshal(data, &r); err != nil {
			f.Fatal(err)
		}
		r.Variants = slices.DeleteFunc(r.Variants, func(v results.Variant) bool { return !slices.Contains(keep, v.Name) })
		r.Runs = slices.DeleteFunc(r.Runs, func(run results.Run) bool { return !slices.Contains(keep, run.Variant) })
		if files[name], err = json.Marshal(r); err != nil {
			f.Fatal(err)
		}
	}
	// Seeds: an A/A of each kind of pair; programs gone; another kernel
	// allowed and not; a TCG head; an infinite overhead; the same file.
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 0})
	f.Add([]byte{2, 0})
	f.Add([]byte{3, 0})
	f.Add([]byte{0, 0, opPrograms, 1, 3, 0})
	f.Add([]byte{0, 0, opEnv, 1, 0, 1})
	f.Add([]byte{0, 1, opEnv, 1, 0, 1})
	f.Add([]byte{0, 0, opEnv, 1, 4, 2})
	f.Add([]byte{2, 0, opDerived, 1, 1, 2})
	f.Add([]byte{0, 0, opCopy, 0, 0, 0})
	f.Add([]byte{3, 0x80, opThroughput, 0, 0, 3, opNoise, 1, 2, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || len(in) > 64 {
			return
		}
		pick, flags, edits := in[0], in[1], in[2:]
		opts := CompareOptions{InconclusivePass: flags&0x80 != 0, Paired: pick%4 == 3}
		for i, name := range EnvChanges {
			if flags&(1<<i) != 0 {
				opts.AllowEnvChange = append(opts.AllowEnvChange, name)
			}
		}
		var base, head *results.Results
		var one *results.Results // the interleaved file
		switch pick % 4 {
		case 0, 1:
			base, head = readBytes(t, files["base.json"]), readBytes(t, files[[]string{"head.json", "head_slow.json"}[pick%4]])
		case 2:
			base, head = gateResults(gateBase), gateResults(gateHead)
		case 3:
			one = pairedFile(float64(pick>>2) - 8)
		}
		sides := func() []*results.Results {
			if one != nil {
				return []*results.Results{one, one}
			}
			return []*results.Results{base, head}
		}
		var post [][]byte
		for len(edits) >= 4 {
			e := edits[:4]
			edits = edits[4:]
			if e[0]%opCount == opDerived {
				post = append(post, e)
				continue
			}
			if e[0]%opCount == opCopy && one == nil {
				*head = *base
				head.Runs = slices.Clone(base.Runs)
				continue
			}
			edit(sides()[e[1]%2], e)
		}
		for _, r := range sides() {
			results.Derive(r)
		}
		for _, e := range post {
			edit(sides()[e[1]%2], e)
		}
		if one != nil {
			var err error
			if base, head, err = SplitTracers(one, "base", "head"); err != nil {
				return
			}
		}
		c, err := Compare(base, head, opts)
		if err != nil {
			return // bad input, exit 2: not a pass
		}
		st := c.Status()
		if st != StatusPass && st != StatusRegression && st != StatusInconclusive {
			t.Fatalf("status %q", st)
		}
		if st != StatusPass {
			return
		}
		if why := notComparable(base, head, opts); why != "" {
			t.Fatalf("passed files that are not comparable: %s (differences %+v)", why, c.Differences)
		}
		if why := notComputed(base, head, c.Thresholds, opts.Paired); why != "" {
			t.Fatalf("passed a gated figure that was not computed: %s (missing %q, rows %d)", why, c.Missing, len(c.Rows))
		}
	})
}

// The edits: op, side, and two bytes of argument.
const (
	opEnv        = iota // environment or scenario field (arg 1) to a value of a small pool (arg 2)
	opPrograms          // remove a run's programs
	opThroughput        // a run's throughput to an extreme
	opRunTime           // a program's run time or count to an extreme
	opFail              // a run fails
	opWarmup            // a run becomes a warm-up
	opDrop              // a run is removed
	opNoise             // a run is noisy
	opLatency           // a run's latency
	opGate              // a gated metric added to the scenario's gate
	opCopy              // the head becomes the base (the same measurement)
	opDerived           // a derived figure not finite, after Derive
	opSeed              // a side's seed and start from the other's
	opCount
)

var (
	envPool = [][]string{
		{"6.18.0-2-cloud-amd64", "6.1.0-28-amd64", ""},           // kernel
		{"AMD EPYC 7B13 64-Core Processor", "Xeon", ""},          // CPU model
		{"", "qemu-kvm", "qemu-tcg", "qemu-tcg-x", "qemu"},       // guest
		{"bench-kvm-2", "runner-2"},                              // host
		{"", "redis: -t get -n 1000", "syscalls: getpid"},        // workload
		{"", "aaaa", "9f2c6a41d0b7e35c8a1f4e6d2b9c7a0e5f3d1c8b"}, // scenario sha256
		{"1", "2", "3"},     // schema
		{"2", "16", "0"},    // CPUs
		{"", "arm64"},       // arch
		{"tsc", "hpet", ""}, // clock source
	}
	extremes = []float64{0, 1e-305, 1, 1e308, -5, 142_000, math.SmallestNonzeroFloat64}
	counts   = []uint64{0, 1, 1000, math.MaxUint64, 1 << 53}
	notFin   = []float64{math.Inf(1), math.Inf(-1), math.NaN()}
)

func edit(r *results.Results, e []byte) {
	run := func() *results.Run {
		if len(r.Runs) == 0 {
			return nil
		}
		return &r.Runs[int(e[2])%len(r.Runs)]
	}
	switch e[0] % opCount {
	case opEnv:
		pool := envPool[int(e[2])%len(envPool)]
		v := pool[int(e[3])%len(pool)]
		switch int(e[2]) % len(envPool) {
		case 0:
			r.Environment.Kernel = v
		case 1:
			r.Environment.CPUModel = v
		case 2:
			r.Environment.Guest = v
		case 3:
			r.Environment.Hostname = v
		case 4:
			r.Scenario.Workload = v
		case 5:
			r.Scenario.SHA256 = v
		case 6:
			r.Schema = int(v[0] - '0')
		case 7:
			r.Environment.CPUs = map[string]int{"2": 2, "16": 16, "0": 0}[v]
		case 8:
			r.Environment.Arch = v
		case 9:
			r.Environment.ClockSource = v
		}
	case opPrograms:
		if x := run(); x != nil {
			x.Programs = nil
		}
	case opThroughput:
		if x := run(); x != nil {
			x.Workload.Throughput = extremes[int(e[3])%len(extremes)]
		}
	case opRunTime:
		if x := run(); x != nil && len(x.Programs) > 0 {
			p := &x.Programs[int(e[3])%len(x.Programs)]
			if e[3]&0x80 != 0 {
				p.RunCount = counts[int(e[3])%len(counts)]
			} else {
				p.RunTimeNs = counts[int(e[3])%len(counts)]
			}
		}
	case opFail:
		if x := run(); x != nil {
			x.Error = "failed"
		}
	case opWarmup:
		if x := run(); x != nil {
			x.Warmup = true
		}
	case opDrop:
		if len(r.Runs) > 0 {
			i := int(e[2]) % len(r.Runs)
			r.Runs = slices.Delete(slices.Clone(r.Runs), i, i+1)
		}
	case opNoise:
		if x := run(); x != nil {
			pct := float64(e[3])
			x.Noise = &results.Noise{StealPct: pct, OutsidePct: pct, CPUStealPct: &pct}
		}
	case opLatency:
		if x := run(); x != nil {
			l := float64(e[3]) / 10
			x.Workload.Latency = &results.Latency{P50Ms: l, P99Ms: 2 * l}
		}
	case opGate:
		names := results.GateMetricNames()
		if r.Scenario.Gate == nil || e[3]&0x80 != 0 {
			r.Scenario.Gate = map[string]float64{}
		}
		r.Scenario.Gate[names[int(e[2])%len(names)]] = float64(e[3] % 20)
	case opDerived:
		if x := run(); x != nil {
			v := notFin[int(e[3])%len(notFin)]
			switch e[3] % 4 {
			case 0:
				x.Derived.ThroughputChange = &v
			case 1:
				x.Derived.NsPerSyscall = v
			case 2:
				x.Derived.LatencyP99Change = &v
			case 3:
				x.Derived.DropRatio = v
			}
		}
	case opSeed:
		// Handled as a copy of start and seed from a fixed point, so two
		// sides edited alike meet.
		r.Seed = int64(e[3] % 2)
		r.Started = r.Started.Truncate(1 << 62)
	}
}

func readBytes(t *testing.T, data []byte) *results.Results {
	var r results.Results
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	results.Derive(&r)
	return &r
}

// notComparable restates what a comparison may span
// (docs/statistics-and-gate.md): why base and head must not pass, or "".
func notComparable(base, head *results.Results, opts CompareOptions) string {
	be, he := base.Environment, head.Environment
	if strings.HasPrefix(be.Guest, "qemu-tcg") || strings.HasPrefix(he.Guest, "qemu-tcg") {
		return "a TCG guest"
	}
	allowed := func(what string) bool { return slices.Contains(opts.AllowEnvChange, what) }
	switch {
	case be.Kernel != he.Kernel && !allowed("kernel"):
		return "kernels differ"
	case (be.CPUModel != he.CPUModel || be.CPUs != he.CPUs || be.Arch != he.Arch) && !allowed("cpu"):
		return "CPUs differ"
	case be.Guest != he.Guest && !allowed("guest"):
		return "kinds of machine differ"
	case base.Scenario.Workload != head.Scenario.Workload && !allowed("workload"):
		return "workloads differ"
	case base.Scenario.SHA256 != "" && head.Scenario.SHA256 != "" && base.Scenario.SHA256 != head.Scenario.SHA256 && !allowed("scenario"):
		return "scenario files differ"
	case base.Schema != head.Schema && !allowed("schema"):
		return "schemas differ"
	case !opts.Paired && base.Seed == head.Seed && base.Started.Equal(head.Started) && reflect.DeepEqual(base.Runs, head.Runs):
		return "one measurement on both sides"
	}
	return ""
}

// notComputed says which gated figure a side could not compute, or "":
// for every gated metric, some variant has it, and every variant that
// has it on either side has only finite values of it, on both sides;
// paired, in at least one round on both sides.
func notComputed(base, head *results.Results, thresholds map[string]float64, paired bool) string {
	for metric := range thresholds {
		m, _ := results.GateMeasure(metric)
		somewhere := false
		for _, v := range base.Variants {
			var finite, other [2]int
			rounds := [2]map[int]bool{{}, {}}
			for i, r := range []*results.Results{base, head} {
				rv, _ := r.Variant(v.Name)
				if metric == results.GateCapacity {
					if c, ok := r.CapacityOf(v.Name); ok {
						for _, s := range c.Searches {
							switch {
							case math.IsNaN(s.Capacity) || math.IsInf(s.Capacity, 0):
								other[i]++
							case s.Capacity > 0:
								finite[i]++
							}
						}
					}
					continue
				}
				for _, run := range r.Runs {
					if run.Variant != v.Name || run.Warmup || run.Error != "" {
						continue
					}
					x, ok := m.Value(rv, run)
					switch {
					case !ok:
					case math.IsNaN(x) || math.IsInf(x, 0):
						other[i]++
					default:
						finite[i]++
						rounds[i][run.Round] = true
					}
				}
			}
			if finite[0]+finite[1]+other[0]+other[1] == 0 {
				continue // not this variant's figure
			}
			somewhere = true
			if finite[0] == 0 || finite[1] == 0 || other[0]+other[1] > 0 {
				return v.Name + " " + metric
			}
			if paired && metric != results.GateCapacity && !slices.ContainsFunc(slices.Collect(maps.Keys(rounds[0])), func(r int) bool { return rounds[1][r] }) {
				return v.Name + " " + metric + " in no round on both sides"
			}
		}
		if !somewhere {
			return metric + " in no variant"
		}
	}
	return ""
}
