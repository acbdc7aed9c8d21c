package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/benchctl/benchctl/bench/results"
)

// csvColumns are the columns after the run's identity, one per measure.
var csvColumns = []string{
	"enter_run_cnt", "enter_run_time_ns", "exit_run_cnt", "exit_run_time_ns", "other_run_cnt", "other_run_time_ns",
	"kernel_time_ns", "syscalls", "ns_per_syscall",
	"events_attempted", "drops_full", "drops_too_large", "events", "bytes", "consumer_cpu_s",
	"events_per_sec", "bytes_per_sec", "avg_event_size", "drop_ratio",
	"path_reads", "path_reads_failed",
	"throughput", "unit", "throughput_change",
	// Latency in ms (see results.RunLatency) and its change against the
	// round's baseline as a fraction, like throughput_change.
	"latency_p50_ms", "latency_p99_ms", "latency_p50_change", "latency_p99_change",
	// The load (see results.Load): load time of benchctl's probes or
	// ready time of an external tracer, programs loaded, the largest
	// and the summed verified instructions, and a refusal in one line.
	"load_ns", "ready_ns", "programs_loaded", "max_verified_insns", "verified_insns", "refusal",
	// CPU time (see results.Result.CPUSeconds, TracerStats.CPUMethod):
	// the workload's and the tracer's in seconds, how each was read, and
	// per unit of work in ns, with its change against the round's
	// baseline as a fraction.
	"workload_cpu_s", "workload_cpu_method", "tracer_cpu_s", "tracer_cpu_method",
	"workload_cpu_per_op_ns", "tracer_cpu_per_op_ns", "cpu_per_op_ns", "cpu_per_op_change",
}

// CSV writes one row per run of r (warm-ups and failed runs included,
// marked in their columns) with the raw and derived figures, for
// spreadsheets and data frames. Missing figures are empty cells.
func CSV(w io.Writer, r *results.Results) error {
	cw := csv.NewWriter(w)
	header := append([]string{"scenario", "variant", "mode", "toctou", "set", "stats", "round", "order", "warmup", "error", "wall_ns"}, csvColumns...)
	width := len(header)
	if len(r.Capacity) > 0 {
		header = append(header, capacityCSVColumns...)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	u := func(x uint64) string { return strconv.FormatUint(x, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, run := range r.Runs {
		v, _ := r.Variant(run.Variant)
		row := []string{r.Scenario.Name, run.Variant, string(v.Mode), string(v.TOCTOU), v.Set, strconv.FormatBool(v.Stats),
			strconv.Itoa(run.Round), strconv.Itoa(run.Order), strconv.FormatBool(run.Warmup), run.Error, strconv.FormatInt(int64(run.Wall), 10)}
		for _, role := range []string{results.RoleEnter, results.RoleExit, results.RoleOther} {
			cnt, ns, ok := results.RoleStats(run, role)
			if ok && v.Stats {
				row = append(row, u(cnt), u(ns))
			} else {
				row = append(row, "", "")
			}
		}
		d := run.Derived
		pr := run.Kernel.PathReadsTotal("")
		traced := !v.Baseline && run.Error == ""
		opt := func(s string, ok bool) string {
			if !ok {
				return ""
			}
			return s
		}
		row = append(row,
			opt(u(d.KernelTimeNs), v.Stats && d.KernelTimeNs > 0), opt(u(d.Syscalls), v.Stats && d.Syscalls > 0), opt(f(d.NsPerSyscall), v.Stats && d.Syscalls > 0),
			opt(u(run.Kernel.Attempted), traced), opt(u(run.Kernel.DropsFull), traced), opt(u(run.Kernel.DropsTooLarge), traced),
			opt(u(run.User.Events), traced), opt(u(run.User.Bytes), traced), opt(f(run.User.CPUSeconds), traced),
			opt(f(d.EventsPerSec), traced), opt(f(d.BytesPerSec), traced), opt(f(d.AvgEventSize), traced && run.User.Events > 0), opt(f(d.DropRatio), traced),
			opt(u(pr.Reads), pr.Reads > 0), opt(u(pr.Failed), pr.Reads > 0),
			opt(f(run.Workload.Throughput), run.Error == ""), run.Workload.Unit, "")
		if d.ThroughputChange != nil {
			row[len(row)-1] = f(*d.ThroughputChange)
		}
		p50, p99, hasLatency := results.RunLatency(run)
		row = append(row, opt(f(p50), hasLatency), opt(f(p99), hasLatency), "", "")
		if d.LatencyP50Change != nil {
			row[len(row)-2] = f(*d.LatencyP50Change)
		}
		if d.LatencyP99Change != nil {
			row[len(row)-1] = f(*d.LatencyP99Change)
		}
		row = append(row, loadCells(run.Load)...)
		row = append(row, cpuCells(v, run)...)
		if len(r.Capacity) > 0 {
			row = append(row, make([]string, len(capacityCSVColumns))...)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
	}
	for _, row := range capacityCSVRows(r, width) {
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing csv: %w", err)
	}
	return nil
}

// cpuCells are the CPU columns of a run: empty where it has no such
// figure.
func cpuCells(v results.Variant, run results.Run) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	out := make([]string, 8)
	if run.Error != "" {
		return out
	}
	if run.Workload.CPUMethod != "" {
		out[0], out[1] = f(run.Workload.CPUSeconds), run.Workload.CPUMethod
	}
	if t := run.Tracer; t != nil && t.CPUMethod != "" {
		out[2], out[3] = f(t.CPUSeconds), t.CPUMethod
	}
	for i, key := range []string{"workload_cpu_per_op", "tracer_cpu_per_op", "cpu_per_op"} {
		m, _ := results.MeasureByKey(key)
		if x, ok := m.Value(v, run); ok {
			out[4+i] = f(x)
		}
	}
	if c := run.Derived.CPUPerOpChange; c != nil {
		out[7] = f(*c)
	}
	return out
}
