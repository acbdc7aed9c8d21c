package history

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/stats"
)

// File is what the store keeps of one results file.
type File struct {
	// SHA256 is the hash of the file's content: its key.
	SHA256         string
	Path           string
	Scenario       string
	ScenarioSHA256 string
	Started        time.Time
	Complete       bool
	Env            Env
	Build          Build
	// Gate holds the scenario's gate thresholds (metric → percent or
	// points); nil when it names none.
	Gate     map[string]float64
	Variants []VariantRecord
}

// Env is the environment a run's series is kept apart by.
type Env struct {
	Host     string `json:"host"`
	Kernel   string `json:"kernel"`
	CPUModel string `json:"cpu_model"`
	// Guest is "qemu-kvm" or "qemu-tcg" in a guest, empty on a host.
	Guest string `json:"guest,omitempty"`
	Arch  string `json:"arch,omitempty"`
}

// Build is benchctl's build that made a run.
type Build struct {
	Version  string `json:"version,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

// String is the build's commit (short) or version.
func (b Build) String() string {
	s := b.Commit
	if len(s) > 12 {
		s = s[:12]
	}
	if s == "" {
		s = b.Version
	}
	if s == "" {
		s = "unknown"
	}
	if b.Modified {
		s += "+dirty"
	}
	return s
}

// VariantRecord is one variant of a file: its external tracer's
// provenance, when it has one, and its figures.
type VariantRecord struct {
	Name    string
	Tracer  Tracer
	Metrics []MetricRecord
}

// Tracer is an external tracer's provenance (results.TracerProvenance).
type Tracer struct {
	Name, Executable, SHA256 string
	Argv                     []string
}

// MetricRecord is one gated figure of every measured run of a variant.
type MetricRecord struct {
	Metric string
	// NoiseFree is the measure's (results.Measure.NoiseFree): the point
	// keeps the values of noisy runs.
	NoiseFree bool
	Runs      []RunValue
}

// RunValue is one measured run's figure.
type RunValue struct {
	Round int
	Value float64
	// Noisy is set when noise touched the figure (results.NoisyRun).
	Noisy bool
}

// PointValue is a file's figure for a series: the median of its runs.
type PointValue struct {
	Median, Min, Max float64
	N                int
	// Noisy is set when every run was noisy, so the median is of them.
	Noisy bool
}

// Point is the figure of the runs the gate would read: the clean ones
// (all, for a noise-free figure, or when none is clean).
func (m MetricRecord) Point() PointValue {
	var clean, all []float64
	for _, r := range m.Runs {
		all = append(all, r.Value)
		if !r.Noisy || m.NoiseFree {
			clean = append(clean, r.Value)
		}
	}
	p := PointValue{}
	if len(clean) == 0 {
		clean, p.Noisy = all, true
	}
	if len(clean) == 0 {
		return p
	}
	s := stats.Summarize(clean)
	p.Median, p.Min, p.Max, p.N = s.Median, s.Min, s.Max, s.N
	return p
}

// againstBaseline tells whether a gate figure is measured against the
// round's baseline run, so that the baseline's noise touches it too
// (as bench/compare decides).
func againstBaseline(metric string) bool {
	return metric == "overhead" || strings.HasSuffix(metric, "_change")
}

// FromResults is what the store keeps of r, read from a file whose
// content was data.
func FromResults(r *results.Results, data []byte, path string) File {
	sum := sha256.Sum256(data)
	f := File{
		SHA256:         hex.EncodeToString(sum[:]),
		Path:           path,
		Scenario:       r.Scenario.Name,
		ScenarioSHA256: r.Scenario.SHA256,
		Started:        r.Started,
		Complete:       r.Complete,
		Gate:           r.Scenario.Gate,
		Env: Env{
			Host:     r.Environment.Hostname,
			Kernel:   r.Environment.Kernel,
			CPUModel: r.Environment.CPUModel,
			Guest:    r.Environment.Guest,
			Arch:     r.Environment.Arch,
		},
		Build: Build{Version: r.Environment.BenchctlVersion, Commit: r.Environment.BenchctlCommit},
	}
	if f.Started.IsZero() {
		f.Started = r.Environment.Time
	}
	if p := r.Provenance; p != nil {
		if p.Build.Revision != "" {
			f.Build.Commit = p.Build.Revision
		}
		if p.Build.Version != "" && f.Build.Version == "" {
			f.Build.Version = p.Build.Version
		}
		f.Build.Modified = p.Build.Modified
	}
	for _, v := range r.Variants {
		vr := VariantRecord{Name: v.Name}
		if t, ok := r.Provenance.Tracer(v.Tracer); ok {
			vr.Tracer = Tracer{Name: t.Name, Executable: t.Executable, SHA256: t.SHA256, Argv: t.Argv}
		} else {
			vr.Tracer.Name = v.Tracer
		}
		runs := r.RunsOf(v.Name)
		for _, name := range results.GateMetricNames() {
			m, _ := results.GateMeasure(name)
			mr := MetricRecord{Metric: name, NoiseFree: m.NoiseFree}
			for _, run := range runs {
				x, ok := m.Value(v, run)
				if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
					continue
				}
				mr.Runs = append(mr.Runs, RunValue{Round: run.Round, Value: x, Noisy: r.NoisyRun(run, againstBaseline(name))})
			}
			if len(mr.Runs) > 0 {
				vr.Metrics = append(vr.Metrics, mr)
			}
		}
		f.Variants = append(f.Variants, vr)
	}
	return f
}

// ReadFile reads the results file at path as the store keeps it.
func ReadFile(path string) (File, error) {
	// ReadResults checks the schema and derives the figures as every
	// other reader of the file sees them; the hash is of the bytes.
	r, err := results.ReadResults(path)
	if err != nil {
		return File{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	return FromResults(r, data, path), nil
}

// ImportStats counts what Import did.
type ImportStats struct {
	// Read is the results files read; Added those recorded, Known those
	// the store already had (the same content), Failed those that could
	// not be read or recorded.
	Read, Added, Known, Failed int
}

// Import records the results files named by paths: files, and the
// *.json files under folders. Each failure is given to warn and counted;
// Import goes on with the next file. The error is the context's, or the
// first failure to write (the store is then unusable).
func Import(ctx context.Context, s Store, paths []string, warn func(error)) (ImportStats, error) {
	var st ImportStats
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			warn(err)
			st.Failed++
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".json") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			warn(err)
			st.Failed++
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		f, err := ReadFile(path)
		if err != nil {
			warn(err)
			st.Failed++
			continue
		}
		st.Read++
		added, err := s.Add(ctx, f)
		if err != nil {
			return st, err
		}
		if added {
			st.Added++
		} else {
			st.Known++
		}
	}
	return st, nil
}
