package compare

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

// What a comparison may span. Timings are comparable only between runs
// of the same scenario and workload, on the same kernel and CPU, in the
// same kind of machine, recorded with the same schema: each of those
// that differs is a Difference, and makes the comparison inconclusive
// unless CompareOptions.AllowEnvChange names it (--allow-env-change).
const (
	// ChangeKernel: environment.kernel differs.
	ChangeKernel = "kernel"
	// ChangeCPU: the CPU model, the number of CPUs or the architecture
	// differs.
	ChangeCPU = "cpu"
	// ChangeGuest: one side ran in a virtual machine of another kind
	// (environment.guest: a host, qemu-kvm). A TCG guest is never
	// compared (DiffTCG).
	ChangeGuest = "guest"
	// ChangeWorkload: the scenario's workload line differs.
	ChangeWorkload = "workload"
	// ChangeScenario: the scenario files' SHA-256 differ (when both
	// files record one).
	ChangeScenario = "scenario"
	// ChangeSchema: the results files' schema versions differ: some
	// figures were measured differently (docs/results.md lists what each
	// version changed).
	ChangeSchema = "schema"
)

// EnvChanges are the differences --allow-env-change accepts, in the
// order a comparison lists them.
var EnvChanges = []string{ChangeKernel, ChangeCPU, ChangeGuest, ChangeWorkload, ChangeScenario, ChangeSchema}

// Differences no flag lifts.
const (
	// DiffTCG: a side ran in a QEMU guest without KVM
	// (environment.guest "qemu-tcg"): an emulated CPU's timings are not
	// timings, and no gate may judge them.
	DiffTCG = "tcg"
	// DiffSame: base and head are the same measurement (a file compared
	// with itself): nothing was compared.
	DiffSame = "same"
)

// Difference is one way base and head differ that decides whether they
// can be compared at all.
type Difference struct {
	// What is one of EnvChanges, DiffTCG or DiffSame.
	What string
	// Base and Head are the two sides' values, as the file has them.
	Base, Head string
	// Allowed is set when CompareOptions.AllowEnvChange names What: the
	// comparison spans the difference on purpose, and it is only shown.
	Allowed bool
}

// Fixed tells whether no flag can lift the difference.
func (d Difference) Fixed() bool { return d.What == DiffTCG || d.What == DiffSame }

// Blocks tells whether the difference makes the comparison inconclusive.
func (d Difference) Blocks() bool { return !d.Allowed }

// String says what differed, for the first lines of a comparison.
func (d Difference) String() string {
	var s string
	switch d.What {
	case DiffTCG:
		s = fmt.Sprintf("measured in a TCG guest (environment.guest: base %q, head %q): an emulated CPU's timings are not compared", d.Base, d.Head)
	case DiffSame:
		s = "base and head are the same measurement (a file compared with itself): nothing was compared"
	default:
		s = fmt.Sprintf("%s differs: base %q, head %q", diffLabel[d.What], d.Base, d.Head)
	}
	switch {
	case d.Fixed():
	case d.Allowed:
		s += " (allowed by --allow-env-change " + d.What + ")"
	default:
		s += "; --allow-env-change " + d.What + " compares them anyway"
	}
	return s
}

var diffLabel = map[string]string{
	ChangeKernel:   "kernel",
	ChangeCPU:      "CPU",
	ChangeGuest:    "machine (environment.guest)",
	ChangeWorkload: "workload",
	ChangeScenario: "scenario file (sha256)",
	ChangeSchema:   "results schema",
}

// ParseEnvChanges parses --allow-env-change values: names of
// EnvChanges, comma-separated.
func ParseEnvChanges(s string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(EnvChanges, name) {
			return nil, fmt.Errorf("unknown environment change %q (known: %s; a TCG guest or a file compared with itself is never compared)", name, strings.Join(EnvChanges, ", "))
		}
		out = append(out, name)
	}
	return out, nil
}

// tcg tells whether a guest is a QEMU guest without KVM.
func tcg(guest string) bool { return strings.HasPrefix(guest, "qemu-tcg") }

// differences lists how base and head differ in what decides whether
// they can be compared (see EnvChanges), with those allow names marked
// Allowed. Paired sides are the two tracers of one interleaved file
// (SplitTracers, which refuses one tracer on both sides): one
// measurement by construction, and not the same one.
func differences(base, head *results.Results, allow []string, paired bool) []Difference {
	var out []Difference
	be, he := base.Environment, head.Environment
	if tcg(be.Guest) || tcg(he.Guest) {
		out = append(out, Difference{What: DiffTCG, Base: be.Guest, Head: he.Guest})
	}
	if !paired && sameMeasurement(base, head) {
		out = append(out, Difference{What: DiffSame})
	}
	add := func(what, b, h string) {
		if b != h {
			out = append(out, Difference{What: what, Base: b, Head: h, Allowed: slices.Contains(allow, what)})
		}
	}
	add(ChangeKernel, be.Kernel, he.Kernel)
	if be.CPUModel != he.CPUModel || be.CPUs != he.CPUs || be.Arch != he.Arch {
		cpu := func(e results.Environment) string { return fmt.Sprintf("%s × %d (%s)", e.CPUModel, e.CPUs, e.Arch) }
		out = append(out, Difference{What: ChangeCPU, Base: cpu(be), Head: cpu(he), Allowed: slices.Contains(allow, ChangeCPU)})
	}
	if !tcg(be.Guest) && !tcg(he.Guest) {
		host := func(g string) string {
			if g == "" {
				return "host"
			}
			return g
		}
		add(ChangeGuest, host(be.Guest), host(he.Guest))
	}
	add(ChangeWorkload, base.Scenario.Workload, head.Scenario.Workload)
	// A file without a hash (written before they were recorded) is not
	// held against the other.
	if base.Scenario.SHA256 != "" && head.Scenario.SHA256 != "" {
		add(ChangeScenario, base.Scenario.SHA256, head.Scenario.SHA256)
	}
	add(ChangeSchema, fmt.Sprint(base.Schema), fmt.Sprint(head.Schema))
	return out
}

// sameMeasurement tells whether base and head are one measurement: the
// same start, seed and runs (a file compared with itself, or a copy).
// Base and head split from one interleaved file (SplitTracers) share
// their start and seed but not their tracers' runs.
func sameMeasurement(base, head *results.Results) bool {
	return base.Started.Equal(head.Started) && base.Seed == head.Seed &&
		reflect.DeepEqual(base.Runs, head.Runs) && reflect.DeepEqual(base.Capacity, head.Capacity)
}

// Blocked returns the differences that make the comparison
// inconclusive: those no flag allowed.
func (c *Comparison) Blocked() []Difference {
	var out []Difference
	for _, d := range c.Differences {
		if d.Blocks() {
			out = append(out, d)
		}
	}
	return out
}
