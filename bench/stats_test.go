package bench

import (
	"math"
	"slices"
	"testing"
)

func TestSummarizeFiveSamplesHaveNoCI(t *testing.T) {
	s := Summarize([]float64{5, 1, 4, 2, 3})
	if s.N != 5 || s.Median != 3 || s.Min != 1 || s.Max != 5 {
		t.Fatalf("summary = %+v", s)
	}
	if s.HasCI() || !math.IsInf(s.Lo, -1) || !math.IsInf(s.Hi, 1) {
		t.Errorf("n=5 has a finite CI [%v, %v]; a 95%% CI of a median needs 6 samples", s.Lo, s.Hi)
	}
	if !slices.Contains(s.Warnings, WarnNoCI) {
		t.Errorf("warnings = %q, want %q", s.Warnings, WarnNoCI)
	}
	if !slices.Equal(s.Values, []float64{5, 1, 4, 2, 3}) {
		t.Errorf("values reordered: %v", s.Values)
	}
}

func TestSummarizeCI(t *testing.T) {
	values := []float64{10.4, 10.1, 9.8, 10.0, 10.2, 9.9, 10.3, 10.0, 9.7, 10.6}
	s := Summarize(values)
	if !s.HasCI() {
		t.Fatalf("n=10 has no CI: %+v", s)
	}
	if !(s.Lo <= s.Median && s.Median <= s.Hi) || s.Lo < s.Min || s.Hi > s.Max {
		t.Errorf("CI [%v, %v] does not bracket the median %v inside [min, max]", s.Lo, s.Hi, s.Median)
	}
	if s.Confidence < Confidence {
		t.Errorf("confidence %v < %v", s.Confidence, Confidence)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings = %q", s.Warnings)
	}
	if Summarize(nil).N != 0 {
		t.Error("empty sample has a count")
	}
}

func TestOutliers(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		want   []int
	}{
		{[]float64{100, 101, 99, 100, 150}, []int{4}},
		{[]float64{100, 101, 99, 100.5, 99.5}, nil},
		// A tiny MAD alone does not make an outlier: 0.3% is noise.
		{[]float64{1.99387, 1.99387, 1.99387, 1.99373, 1.99387}, nil},
		// MAD 0: the mean absolute deviation takes over.
		{[]float64{0, 0, 0, 1520, 0}, []int{3}},
		{[]float64{7, 7, 7, 7}, nil},
		{[]float64{1, 100}, nil},
	} {
		if got := Summarize(tc.values).Outliers; !slices.Equal(got, tc.want) {
			t.Errorf("outliers of %v = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestThreeSamplesCannotBeSignificant(t *testing.T) {
	// Completely separated samples 10% apart: the smallest p-value a
	// two-sided Mann-Whitney U test reaches with 3 vs 3 is 2/C(6,3) = 0.1.
	d := CompareSamples([]float64{100, 100.5, 101}, []float64{110, 110.5, 111}, 0.05)
	if math.Abs(d.P-0.1) > 1e-9 {
		t.Errorf("p = %v, want 0.1", d.P)
	}
	if d.Significant {
		t.Error("3 vs 3 called significant")
	}
	if !slices.Contains(d.Warnings, WarnNoDetect) {
		t.Errorf("warnings = %q, want %q", d.Warnings, WarnNoDetect)
	}
	if math.Abs(d.ChangePct()-9.95) > 0.01 {
		t.Errorf("change = %v%%, want 9.95%%", d.ChangePct())
	}

	// 4 vs 4 can: 2/C(8,4) = 0.029.
	d = CompareSamples([]float64{100, 100.5, 101, 100.2}, []float64{110, 110.5, 111, 110.2}, 0.05)
	if !d.Significant || math.Abs(d.P-2.0/70) > 1e-9 {
		t.Errorf("4 vs 4 separated: p = %v significant = %v, want p = 0.0286, significant", d.P, d.Significant)
	}
	// 5 vs 5: 2/C(10,5) = 0.0079, benchstat's familiar p=0.008.
	d = CompareSamples([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.05)
	if got := d.String(); got != "p=0.008 n=5" {
		t.Errorf("String() = %q", got)
	}
}

func TestCompareSamplesEdges(t *testing.T) {
	d := CompareSamples([]float64{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}, 0)
	if d.Significant || d.P != 1 || d.Change != 0 || len(d.Warnings) != 0 || d.Alpha != DefaultAlpha {
		t.Errorf("equal samples: %+v", d)
	}
	d = CompareSamples([]float64{0, 0, 0, 0, 0}, []float64{1, 2, 1, 3, 2}, 0.05)
	if !math.IsInf(d.Change, 1) || !d.Significant {
		t.Errorf("from zero: change %v significant %v", d.Change, d.Significant)
	}
	// A negative base (a variant faster than its baseline): going up is
	// still an increase.
	if d := CompareSamples([]float64{-1}, []float64{1}, 0.05); d.Change != 2 {
		t.Errorf("change from -1 to 1 = %v, want +2", d.Change)
	}
	if d := CompareSamples(nil, []float64{1}, 0.05); d.Significant || len(d.Warnings) == 0 {
		t.Errorf("empty side: %+v", d)
	}
}

func TestProgramRole(t *testing.T) {
	for name, want := range map[string]string{
		"sys_enter": RoleEnter, "floor_enter": RoleEnter, "sys_exit": RoleExit, "floor_exit": RoleExit,
		"toctou_openat": RoleOther, "sys_exit_openat": RoleOther,
	} {
		if got := ProgramRole(name); got != want {
			t.Errorf("ProgramRole(%q) = %q, want %q", name, got, want)
		}
	}
}

func readFixture(t *testing.T, name string) *Results {
	t.Helper()
	r, err := ReadResults("testdata/" + name)
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
	if err != nil || th["ns_per_syscall"] != DefaultGate["ns_per_syscall"] || th["kernel_time"] != 3 || len(th) != 3 {
		t.Errorf("thresholds = %v, %v", th, err)
	}
	th, _ = Thresholds(map[string]float64{"overhead": 20}, map[string]float64{"overhead": 7})
	if len(th) != 1 || th["overhead"] != 7 {
		t.Errorf("override: %v", th)
	}
	if _, err := Thresholds(map[string]float64{"rps": 1}, nil); err == nil {
		t.Error("unknown gate metric accepted")
	}
	for _, name := range GateMetricNames() {
		if _, ok := GateMeasure(name); !ok {
			t.Errorf("gate metric %q has no measure", name)
		}
	}
}
