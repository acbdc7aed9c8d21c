package scenario

import (
	"strings"
	"syscall"
	"testing"
)

// TestStopSignals: any signal name is a stop signal, with or without
// SIG and in any case; an unknown one is an error.
func TestStopSignals(t *testing.T) {
	scenario := func(sig string) string {
		return "workload: {type: syscalls, mix: getpid, count: 10}\nsets: {a: [getpid]}\n" +
			"tracers:\n  t:\n    argv: [/bin/sh]\n    sets: {a: []}\n    stop: {signal: " + sig + "}\n"
	}
	for _, c := range []struct {
		sig, name string
		want      syscall.Signal
	}{{"SIGTERM", "SIGTERM", syscall.SIGTERM}, {"int", "SIGINT", syscall.SIGINT}, {"usr2", "SIGUSR2", syscall.SIGUSR2}, {"SIGABRT", "SIGABRT", syscall.SIGABRT}} {
		sc, err := ParseBytes("s.yaml", []byte(scenario(c.sig)))
		if err != nil {
			t.Errorf("%s: %v", c.sig, err)
		} else if tr := sc.Tracers[0]; tr.StopSignal != c.want || tr.StopSignalName() != c.name {
			t.Errorf("%s: signal %d named %s, want %d %s", c.sig, tr.StopSignal, tr.StopSignalName(), c.want, c.name)
		}
	}
	_, err := ParseBytes("s.yaml", []byte(scenario("SIGTREM")))
	if err == nil || !strings.HasPrefix(err.Error(), `s.yaml:7: tracer t: unknown stop signal "SIGTREM" (hint: did you mean SIGTERM`) {
		t.Errorf("unknown signal: %v", err)
	}
}
