package scenario

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/record"
)

func mustParse(t *testing.T, yamlText string) *Scenario {
	t.Helper()
	sc, err := ParseBytes("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("parsing:\n%v", err)
	}
	return sc
}

const expandHead = "workload: {type: syscalls, mix: getpid, count: 1000}\n"

func TestExpand(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"baseline and floor only", "", []string{"baseline", "floor"}},
		{"floor off", "floor: false\n", []string{"baseline"}},
		{"sets × modes",
			"sets: {a: [getpid], b: [read, write]}\nmodes: [enter_exit, exit_only]\n",
			[]string{"baseline", "floor", "a/enter_exit", "a/exit_only", "b/enter_exit", "b/exit_only"}},
		{"toctou crosses exit_only only",
			"sets: {f: [openat]}\nmodes: [enter_exit, exit_only]\ntoctou: [none, stash, enter_event]\n",
			[]string{"baseline", "floor", "f/enter_exit", "f/exit_only", "f/exit_only+stash", "f/exit_only+enter_event"}},
		{"nostats sets add a stats-off baseline",
			"sets: {a: [getpid], big: [read]}\nmodes: [exit_only]\nnostats_sets: [big]\n",
			[]string{"baseline", "baseline_nostats", "floor", "a/exit_only", "big/exit_only", "big/exit_only_nostats"}},
		{"stats off for the whole matrix",
			"stats: false\nsets: {a: [getpid]}\nmodes: [enter_exit]\n",
			[]string{"baseline", "baseline_nostats", "floor", "a/enter_exit_nostats"}},
		{"explicit variants",
			"floor: false\nsets: {a: [getpid]}\nmodes: [exit_only]\nvariants:\n" +
				"  - {set: a, mode: exit_only, toctou: stash}\n" +
				"  - {name: own, syscalls: [close], mode: enter_exit}\n" +
				"  - {set: a, mode: enter_exit, stats: false}\n" +
				"  - {mode: floor}\n",
			[]string{"baseline", "baseline_nostats", "a/exit_only", "a/exit_only+stash", "own", "a/enter_exit_nostats", "floor"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs, err := mustParse(t, expandHead+c.yaml).Expand()
			if err != nil {
				t.Fatal(err)
			}
			if got := names(vs); !slices.Equal(got, c.want) {
				t.Errorf("variants\n got %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestExpandVariantFields(t *testing.T) {
	sc := mustParse(t, expandHead+`ring_size: 1MiB
snaplen: 64
sets: {big: [read, write]}
modes: [enter_exit, exit_only]
nostats_sets: [big]
variants:
  - {name: tiny-ring, set: big, mode: exit_only, ring_size: 4KiB, snaplen: 8}
`)
	vs, err := sc.Expand()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]results.Variant{}
	for _, v := range vs {
		byName[v.Name] = v
	}
	check := func(name string, want results.Variant) {
		t.Helper()
		got, ok := byName[name]
		if !ok {
			t.Errorf("no variant %s in %v", name, names(vs))
			return
		}
		want.Name = name
		if got.Name != want.Name || got.Mode != want.Mode || got.TOCTOU != want.TOCTOU || got.Set != want.Set ||
			!slices.Equal(got.Syscalls, want.Syscalls) || got.Stats != want.Stats || got.RingSize != want.RingSize ||
			got.Snaplen != want.Snaplen || got.Baseline != want.Baseline {
			t.Errorf("%s =\n %+v\nwant\n %+v", name, got, want)
		}
	}
	check("baseline", results.Variant{Mode: record.ModeNone, Stats: true, Baseline: true})
	check("baseline_nostats", results.Variant{Mode: record.ModeNone, Stats: false, Baseline: true})
	check("floor", results.Variant{Mode: record.ModeFloor, Stats: true, RingSize: 1 << 20, Snaplen: 64})
	check("big/enter_exit", results.Variant{Mode: record.ModeEnterExit, Set: "big", Syscalls: []string{"read", "write"}, Stats: true, RingSize: 1 << 20, Snaplen: 64})
	check("big/exit_only", results.Variant{Mode: record.ModeExitOnly, TOCTOU: record.TOCTOUNone, Set: "big", Syscalls: []string{"read", "write"}, Stats: true, RingSize: 1 << 20, Snaplen: 64})
	check("big/exit_only_nostats", results.Variant{Mode: record.ModeExitOnly, TOCTOU: record.TOCTOUNone, Set: "big", Syscalls: []string{"read", "write"}, Stats: false, RingSize: 1 << 20, Snaplen: 64})
	check("tiny-ring", results.Variant{Mode: record.ModeExitOnly, TOCTOU: record.TOCTOUNone, Set: "big", Syscalls: []string{"read", "write"}, Stats: true, RingSize: 4096, Snaplen: 8})
}

func TestExpandRejectsDuplicateNames(t *testing.T) {
	for _, extra := range []string{
		"  - {name: baseline, set: a, mode: exit_only}\n",
		"  - {name: floor, set: a, mode: exit_only}\n",
		"  - {set: a, mode: exit_only}\n", // derived name a/exit_only clashes with the matrix
		"  - {name: x, set: a, mode: exit_only}\n  - {name: x, set: a, mode: enter_exit}\n",
	} {
		_, err := ParseBytes("d.yaml", []byte(expandHead+"sets: {a: [getpid]}\nmodes: [exit_only]\nvariants:\n"+extra))
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "duplicate variant name") {
			t.Errorf("variants\n%s: err = %v, want a duplicate variant name", extra, err)
		}
	}
	// Expand itself also refuses them, for scenarios built in code.
	sc := mustParse(t, expandHead+"sets: {a: [getpid]}\nmodes: [exit_only]\n")
	sc.Extra = append(sc.Extra, VariantSpec{Set: "a", Mode: record.ModeExitOnly, TOCTOU: record.TOCTOUNone, Stats: true})
	if _, err := sc.Expand(); err == nil || !strings.Contains(err.Error(), `duplicate variant name "a/exit_only"`) {
		t.Errorf("Expand: err = %v", err)
	}
}

func TestVariantName(t *testing.T) {
	for _, c := range []struct {
		mode   record.Mode
		toctou record.TOCTOU
		stats  bool
		want   string
	}{
		{record.ModeEnterExit, "", true, "s/enter_exit"},
		{record.ModeExitOnly, record.TOCTOUNone, true, "s/exit_only"},
		{record.ModeExitOnly, record.TOCTOUStash, true, "s/exit_only+stash"},
		{record.ModeExitOnly, record.TOCTOUEnterEvent, false, "s/exit_only+enter_event_nostats"},
		{record.ModeEnterExit, "", false, "s/enter_exit_nostats"},
	} {
		if got := results.VariantName("s", c.mode, c.toctou, c.stats); got != c.want {
			t.Errorf("VariantName(%s, %s, %v) = %s, want %s", c.mode, c.toctou, c.stats, got, c.want)
		}
	}
}

func TestSelect(t *testing.T) {
	sc := mustParse(t, expandHead+"sets: {a: [getpid], big: [read]}\nmodes: [enter_exit, exit_only]\nnostats_sets: [big]\n")
	all, err := sc.Expand()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		only []string
		want []string
	}{
		{nil, names(all)},
		{[]string{"a/exit_only"}, []string{"baseline", "a/exit_only"}},
		{[]string{"floor,a/enter_exit"}, []string{"baseline", "floor", "a/enter_exit"}},
		{[]string{"big/*"}, []string{"baseline", "baseline_nostats", "big/enter_exit", "big/exit_only", "big/enter_exit_nostats", "big/exit_only_nostats"}},
		{[]string{"*_nostats"}, []string{"baseline", "baseline_nostats", "big/enter_exit_nostats", "big/exit_only_nostats"}},
		{[]string{"big/exit_only", "a/exit_only"}, []string{"baseline", "a/exit_only", "big/exit_only"}},
	}
	for _, c := range cases {
		got, err := Select(all, c.only)
		if err != nil {
			t.Errorf("Select(%v): %v", c.only, err)
			continue
		}
		if !slices.Equal(names(got), c.want) {
			t.Errorf("Select(%v)\n got %v\nwant %v", c.only, names(got), c.want)
		}
	}
	if _, err := Select(all, []string{"big/exit_onyl"}); err == nil || !strings.Contains(err.Error(), "big/exit_only") {
		t.Errorf("unknown variant: err = %v, want it to suggest big/exit_only", err)
	}
	for _, c := range []struct {
		pat, name string
		want      bool
	}{
		{"big/*", "big/exit_only", true}, {"*", "a/b/c", true}, {"*/exit_only", "big/exit_only", true},
		{"*/exit_only", "big/exit_only_nostats", false}, {"b?g/*", "big/x", true}, {"big", "big/x", false},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"", "", true}, {"x", "", false},
	} {
		if got := globMatch(c.pat, c.name); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
}

// TestStepsExpand: steps cross with the sets and modes; exit_side only
// with enter_exit; TOCTOU options only with the steps that run fillers.
func TestStepsExpand(t *testing.T) {
	sc := mustParse(t, `workload: {type: syscalls, mix: getpid, count: 1000}
sets: {g: [getpid]}
modes: [enter_exit, exit_only]
toctou: [none, stash]
floor: false
steps: [floor, dispatch, full, decode, exit_side]
`)
	vs, err := sc.Expand()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"baseline",
		"g/enter_exit.floor", "g/enter_exit.dispatch", "g/enter_exit", "g/enter_exit.decode", "g/enter_exit.exit_side",
		"g/exit_only.floor", "g/exit_only.dispatch", "g/exit_only", "g/exit_only+stash", "g/exit_only.decode", "g/exit_only+stash.decode"}
	if got := names(vs); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("variants\n got %v\nwant %v", got, want)
	}
	for _, v := range vs {
		switch v.Name {
		case "g/exit_only.decode":
			if v.Step != results.StepDecode || v.ProbeStep() != record.StepFull {
				t.Errorf("%s: step %q, probe step %q", v.Name, v.Step, v.ProbeStep())
			}
		case "g/enter_exit.dispatch":
			if v.ProbeStep() != record.StepDispatch || v.Mode != record.ModeEnterExit {
				t.Errorf("%s: %+v", v.Name, v)
			}
		}
	}
	for _, bad := range []struct{ yaml, err string }{
		{"steps: [flor]", `unknown step "flor"`},
		{"steps: [full, full]", `step "full" listed twice`},
	} {
		_, err := ParseBytes("t.yaml", []byte("workload: {type: syscalls, mix: getpid, count: 1000}\nsets: {g: [getpid]}\nmodes: [exit_only]\n"+bad.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: %v, want %q", bad.yaml, err, bad.err)
		}
	}
	_, err = ParseBytes("t.yaml", []byte("workload: {type: syscalls, mix: getpid, count: 1000}\nsteps: [full]\n"))
	if err == nil || !strings.Contains(err.Error(), "steps without modes") {
		t.Errorf("steps without modes: %v", err)
	}
}
