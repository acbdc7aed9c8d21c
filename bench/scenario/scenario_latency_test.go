package scenario

import (
	"errors"
	"strings"
	"testing"
)

func TestScenarioLatencyGate(t *testing.T) {
	const redis = "workload:\n  type: redis\n  tests: [get]\ngate:\n  latency_p99: 10\n  latency_p50_change: 3\n"
	sc, err := ParseBytes("latency.yaml", []byte(redis))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Gate["latency_p99"] != 10 || sc.Gate["latency_p50_change"] != 3 || len(sc.Gate) != 2 {
		t.Errorf("gate %v, want latency_p99 10 and latency_p50_change 3", sc.Gate)
	}

	const syscalls = "workload:\n  type: syscalls\n  mix: getpid\n  count: 1000\ngate:\n  overhead: 5\n  latency_p99: 10\n"
	_, err = ParseBytes("latency.yaml", []byte(syscalls))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 {
		t.Fatalf("latency gate on the syscalls workload: err %v, want one scenario error", err)
	}
	if e := errs[0]; e.Line != 7 || e.Msg != "gate latency_p99: the syscalls workload reports no latency" || !strings.Contains(e.Hint, "redis") {
		t.Errorf("error %+v", e)
	}
}
