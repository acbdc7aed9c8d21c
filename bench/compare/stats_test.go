package compare

import (
	"math"
	"slices"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

func readFixture(t *testing.T, name string) *results.Results {
	t.Helper()
	r, err := results.ReadResults("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVariantStats(t *testing.T) {
	r := readFixture(t, "base.json")
	if got := r.Sets(); !slices.Equal(got, []string{"small", "big"}) {
		t.Errorf("sets = %v", got)
	}
	var pairs []string
	for _, p := range r.ModePairs() {
		pairs = append(pairs, p.EnterExit.Name+">"+p.ExitOnly.Name)
	}
	want := []string{"small/enter_exit>small/exit_only", "big/enter_exit>big/exit_only", "big/enter_exit>big/exit_only+stash"}
	if !slices.Equal(pairs, want) {
		t.Errorf("pairs = %v, want %v (a stats-off exit_only has no partner)", pairs, want)
	}

	base := r.SummarizeVariant("baseline")
	if _, ok := base.Get("kernel_time_ns"); ok {
		t.Error("the baseline has a kernel time")
	}
	if tp, ok := base.Get("throughput"); !ok || tp.Median < 130e3 || tp.Median > 155e3 {
		t.Errorf("baseline throughput = %v", tp.Median)
	}
	stash := r.SummarizeVariant("big/exit_only+stash")
	if stash.Runs != 4 || stash.Failed != 1 || stash.FirstError == "" {
		t.Errorf("stash runs %d failed %d %q, want 4, 1 and the error", stash.Runs, stash.Failed, stash.FirstError)
	}
	if _, ok := stash.Get("other_avg_ns"); !ok {
		t.Error("the TOCTOU helpers are missing from other")
	}
	ee := r.SummarizeVariant("big/enter_exit")
	enter, _ := ee.Get("enter_share")
	exit, _ := ee.Get("exit_share")
	if s := enter.Median + exit.Median; math.Abs(s-100) > 1 {
		t.Errorf("enter %v + exit %v share != 100%%", enter.Median, exit.Median)
	}
	if eps, _ := ee.Get("events_per_syscall"); math.Abs(eps.Median-2) > 0.05 {
		t.Errorf("enter_exit of the big set sends %v events per syscall, want ~2", eps.Median)
	}
	drops, _ := ee.Get("drops")
	if !slices.Equal(drops.Outliers, []int{3}) || drops.Rounds[3] != 3 {
		t.Errorf("the round with drops is not flagged: outliers %v rounds %v", drops.Outliers, drops.Rounds)
	}
	nostats := r.SummarizeVariant("small/exit_only_nostats")
	if _, ok := nostats.Get("exit_avg_ns"); ok {
		t.Error("a variant with stats off has program times")
	}
	if _, ok := nostats.Get("throughput_change"); !ok {
		t.Error("a variant with stats off has no throughput change")
	}
	// Counts a stats-off run recorded anyway (stats left on by someone
	// else) are not program costs of that variant.
	for i := range r.Runs {
		if r.Runs[i].Variant == "small/exit_only_nostats" {
			for j := range r.Runs[i].Programs {
				r.Runs[i].Programs[j].RunCount, r.Runs[i].Programs[j].RunTimeNs = 1000, 200000
			}
		}
	}
	if _, ok := r.SummarizeVariant("small/exit_only_nostats").Get("exit_avg_ns"); ok {
		t.Error("leftover program stats of a stats-off variant are reported")
	}
}

func TestComparePairs(t *testing.T) {
	r := readFixture(t, "base.json")
	pcs := r.ComparePairs(0)
	if len(pcs) != 3 {
		t.Fatalf("%d pair comparisons, want 3", len(pcs))
	}
	for _, pc := range pcs {
		for _, d := range pc.Deltas {
			switch d.Measure.Key {
			case "events":
				if math.Abs(d.ChangePct()+50) > 1 || !d.Significant {
					t.Errorf("%s: events change %v%% (sig %v), want -50%%", pc.ExitOnly.Name, d.ChangePct(), d.Significant)
				}
			case "kernel_time_ns":
				if d.ChangePct() > -30 || d.ChangePct() < -40 {
					t.Errorf("%s: kernel time change %v%%, want about -35%%", pc.ExitOnly.Name, d.ChangePct())
				}
			}
		}
	}
}

func TestParseThreshold(t *testing.T) {
	m, pct, err := ParseThreshold("overhead=12.5%")
	if err != nil || m != "overhead" || pct != 12.5 {
		t.Errorf("got %q %v %v", m, pct, err)
	}
	for _, bad := range []string{"overhead", "=5", "speed=5", "overhead=x", "overhead=-1", "overhead=NaN"} {
		if _, _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
	th, err := Thresholds(nil, map[string]float64{"kernel_time": 3})
	if err != nil || th["ns_per_syscall"] != results.DefaultGate["ns_per_syscall"] || th["kernel_time"] != 3 || len(th) != 3 {
		t.Errorf("thresholds = %v, %v", th, err)
	}
	th, _ = Thresholds(map[string]float64{"overhead": 20}, map[string]float64{"overhead": 7})
	if len(th) != 1 || th["overhead"] != 7 {
		t.Errorf("override: %v", th)
	}
	if _, err := Thresholds(map[string]float64{"rps": 1}, nil); err == nil {
		t.Error("unknown gate metric accepted")
	}
	for _, name := range results.GateMetricNames() {
		if _, ok := results.GateMeasure(name); !ok {
			t.Errorf("gate metric %q has no measure", name)
		}
	}
}
