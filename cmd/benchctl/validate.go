package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/reports/page"
)

func newValidateCmd() *cobra.Command {
	var sf scenarioFlags
	cmd := &cobra.Command{
		Use:   "validate SCENARIO.yaml",
		Short: "check a scenario, list its variants and estimate how long it runs (no root needed)",
		Long: "Usage: benchctl validate SCENARIO.yaml [--repetitions N] [--warmup N] [--only VARIANT ...] [--set NAME=VALUE ...]\n\n" +
			"Parses and checks a scenario, prints the variants `run` would measure and an estimate of how long it takes.",
		RunE: func(cmd *cobra.Command, args []string) error { return validate(cmd, &sf, args) },
	}
	sf.register(cmd.Flags())
	return cmd
}

func validate(cmd *cobra.Command, sf *scenarioFlags, pos []string) error {
	if len(pos) != 1 {
		cmd.Usage()
		return usageError("validate takes one scenario file, got %d arguments", len(pos))
	}
	sc, err := sf.load(pos[0])
	if err != nil {
		return err
	}
	all, err := sc.Expand()
	if err != nil {
		return usageError("%v", err)
	}
	vs, err := scenario.Select(all, sf.only)
	if err != nil {
		return usageError("%v", err)
	}
	printPlan(os.Stdout, sc, vs)
	for _, u := range uncheckedTracers(sc, vs) {
		fmt.Fprintf(os.Stdout, "note: %s\n", u)
	}
	if missing := missingTracers(sc, vs); len(missing) > 0 {
		return envError(fmt.Errorf("%s: `run` would stop with exit code 3", strings.Join(missing, "; ")))
	}
	return nil
}

// printPlan prints what `run` would do with sc.
func printPlan(w io.Writer, sc *scenario.Scenario, vs []results.Variant) {
	fmt.Fprintf(w, "scenario %s (%s): ok\n", sc.Name, sc.File)
	if sc.Description != "" {
		fmt.Fprintf(w, "  %s\n", strings.TrimSpace(sc.Description))
	}
	fmt.Fprintf(w, "workload: %s\n", sc.Workload.Describe())
	for _, bin := range workloadPrograms(sc) {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(w, "note: %s is not installed here; `run` would stop with exit code 3\n", bin)
		}
	}
	fmt.Fprintf(w, "\n%d variants:\n", len(vs))
	header := []string{"variant", "mode", "toctou", "set", "syscalls", "stats", "ring", "snaplen"}
	right := []bool{6: true, 7: true}
	var rows [][]string
	for _, v := range vs {
		dash := func(s string) string {
			if s == "" {
				return "-"
			}
			return s
		}
		syscalls := "-"
		if len(v.Syscalls) > 0 {
			syscalls = strings.Join(v.Syscalls, ",")
			if len(syscalls) > 40 {
				syscalls = fmt.Sprintf("%d syscalls", len(v.Syscalls))
			}
		}
		stats := "on"
		if !v.Stats {
			stats = "off"
		}
		ring, snap := "-", "-"
		if v.Mode != "none" && !v.External() {
			ring = sizeString(v.RingSize)
			snap = fmt.Sprint(v.Snaplen)
		}
		mode := string(v.Mode)
		if c := v.Consumer; c != nil {
			mode += ", consumer " + consumerString(*c)
		}
		if v.External() {
			mode = "tracer " + v.Tracer
			if v.Design != "" {
				mode += " (" + string(v.Design) + ")"
			}
		}
		rows = append(rows, []string{v.Name, mode, dash(string(v.TOCTOU)), dash(v.Set), syscalls, stats, ring, snap})
	}
	_ = page.WriteTextTable(w, "  ", header, rows, right) // like the Fprintf calls around it

	if sc.Capacity != nil {
		printCapacityPlan(w, sc, vs)
	} else {
		runs := len(vs) * (sc.Repetitions + sc.Warmup)
		if a := sc.Auto; a != nil {
			target := "half of each gated metric's threshold"
			if a.HalfWidth > 0 {
				target = fmt.Sprintf("±%g%% of the median (points for overhead and drop_ratio)", a.HalfWidth)
			}
			fmt.Fprintf(w, "\nrounds: auto, %d to %d measured until every gated metric's 95%% interval is within %s; + %d warm-up = at most %d runs, plus 1 unmeasured fingerprint run\n",
				a.Min, a.Max, target, sc.Warmup, runs)
		} else {
			fmt.Fprintf(w, "\nrounds: %d measured + %d warm-up = %d runs, plus 1 unmeasured fingerprint run\n", sc.Repetitions, sc.Warmup, runs)
		}
		if total, per, ok := sc.Estimate(len(vs), sc.Repetitions, sc.Warmup); ok {
			fmt.Fprintf(w, "estimated duration: about %s (%s a run)\n", roundDuration(total), roundDuration(per))
		} else {
			fmt.Fprintln(w, "estimated duration: unknown (give the workload an `estimate:` such as 10s)")
		}
	}
	gate := make([]string, 0, len(sc.Gate))
	for m, v := range sc.Gate {
		unit := "%"
		if gm, ok := results.GateMeasure(m); ok && gm.Kind == results.KindPercent {
			unit = " pts"
		}
		gate = append(gate, fmt.Sprintf("%s %g%s", m, v, unit))
	}
	sort.Strings(gate)
	fmt.Fprintf(w, "gate: %s\n", strings.Join(gate, ", "))
}

// workloadPrograms lists the programs the scenario's workload runs.
func workloadPrograms(sc *scenario.Scenario) []string {
	switch sc.Workload.Type {
	case "redis":
		server, client := sc.Workload.Redis.ServerBin, sc.Workload.Redis.BenchBin
		if server == "" {
			server = "redis-server"
		}
		if client == "" {
			client = "redis-benchmark"
		}
		return []string{server, client}
	case "command":
		if len(sc.Workload.Command.Argv) > 0 && !sc.Workload.Command.Shell {
			return sc.Workload.Command.Argv[:1]
		}
	}
	return nil
}

func sizeString(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
