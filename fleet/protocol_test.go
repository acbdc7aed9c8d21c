package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBlockRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte(`{"schema":3,"runs":[1,2,3]}`+"\n"), 5000) // several DATA lines
	var log bytes.Buffer
	log.WriteString("scenario ci: ...\n")
	if err := writeBlock(&log, 1, data[:100], false); err != nil {
		t.Fatal(err)
	}
	log.WriteString("round 2/7\n")
	if err := writeBlock(&log, 2, data, true); err != nil {
		t.Fatal(err)
	}
	log.WriteString(linePrefix + "EXIT 3\n")
	var got []Checkpoint
	var other []string
	lr := LogReader{OnCheckpoint: func(c Checkpoint) { got = append(got, c) }, OnLine: func(l string) { other = append(other, l) }}
	if err := lr.Read(&log); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0].Data, data[:100]) || got[0].Final || !bytes.Equal(got[1].Data, data) || !got[1].Final {
		t.Fatalf("checkpoints: got %d, want the two written", len(got))
	}
	sum := sha256.Sum256(data)
	if got[1].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s, want %x", got[1].SHA256, sum)
	}
	if lr.Exit == nil || *lr.Exit != 3 || lr.Bad != 0 {
		t.Errorf("exit %v, bad %d", lr.Exit, lr.Bad)
	}
	if strings.Join(other, "|") != "scenario ci: ...|round 2/7" {
		t.Errorf("other lines: %q", other)
	}
}

// TestBlockDamaged: a block cut off, or whose data does not match the
// sha256 the pod printed, is no checkpoint; a later good one still is,
// and one read twice (the log read again from its start) is given once.
func TestBlockDamaged(t *testing.T) {
	var good, cut, bad bytes.Buffer
	writeBlock(&good, 2, []byte("second"), true)
	writeBlock(&cut, 1, []byte("first"), false)
	writeBlock(&bad, 3, []byte("third"), true)
	cutLines := strings.SplitAfter(cut.String(), "\n")
	badText := strings.Replace(bad.String(), " 5 final", " 6 final", 1) // the size the pod said is not the data's
	log := strings.Join(cutLines[:2], "") + good.String() + badText + good.String()
	var got []string
	lr := LogReader{OnCheckpoint: func(c Checkpoint) { got = append(got, string(c.Data)) }}
	lr.Read(strings.NewReader(log))
	if strings.Join(got, ",") != "second" || lr.Bad != 2 {
		t.Errorf("got %q, %d bad (%v); want second, 2 bad", got, lr.Bad, lr.Err)
	}
	lr2 := LogReader{OnCheckpoint: func(c Checkpoint) { got = append(got, string(c.Data)) }}
	lr2.Read(strings.NewReader(strings.Join(cutLines[:2], "")))
	if lr2.Bad != 1 {
		t.Errorf("a log ending inside a block: %d bad, want 1", lr2.Bad)
	}
}

// TestAgent runs a stand-in for benchctl run that writes its results
// file twice and exits 3: the agent prints both versions, the last as
// final, benchctl run's output, its uname and the exit code.
func TestAgent(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "benchctl")
	// $1 is "run"; -o FILE comes last.
	os.WriteFile(script, []byte(`#!/bin/sh
for a; do out=$a; done
echo "started $2"
printf '{"runs":[1]}' > "$out"
sleep 0.5
printf '{"runs":[1,2]}' > "$out"
echo "refused" >&2
exit 3
`), 0o755)
	var log bytes.Buffer
	code, err := Agent(context.Background(), AgentOptions{Exe: script, RunArgs: []string{"scenario.yaml"}, Results: filepath.Join(dir, "r.json"), Interval: 100 * time.Millisecond, Out: &log})
	if err != nil || code != 3 {
		t.Fatalf("agent: %d, %v", code, err)
	}
	var got []Checkpoint
	var other []string
	lr := LogReader{OnCheckpoint: func(c Checkpoint) { got = append(got, c) }, OnLine: func(l string) { other = append(other, l) }}
	lr.Read(&log)
	if len(got) == 0 || string(got[len(got)-1].Data) != `{"runs":[1,2]}` || !got[len(got)-1].Final {
		t.Fatalf("checkpoints %+v, want the last one final with both runs; log:\n%s", got, log.String())
	}
	if lr.Exit == nil || *lr.Exit != 3 || lr.Uname == "" {
		t.Errorf("exit %v, uname %q", lr.Exit, lr.Uname)
	}
	if strings.Join(other, "|") != "started scenario.yaml|refused" {
		t.Errorf("benchctl run's output: %q", other)
	}
}

// TestAgentCancel: cancelling the agent (the pod is deleted) sends
// SIGTERM to benchctl run, whose last file is printed as final.
func TestAgentCancel(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "benchctl")
	os.WriteFile(script, []byte(`#!/bin/sh
for a; do out=$a; done
trap 'printf "{\"interrupted\":true}" > "$out"; exit 130' TERM
printf '{"runs":[1]}' > "$out"
while :; do sleep 0.05; done
`), 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	var log bytes.Buffer
	go func() {
		for {
			if _, err := os.Stat(filepath.Join(dir, "r.json")); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	code, err := Agent(ctx, AgentOptions{Exe: script, Results: filepath.Join(dir, "r.json"), Interval: time.Hour, Out: &log})
	if err != nil || code != 130 {
		t.Fatalf("agent: %d, %v", code, err)
	}
	var last Checkpoint
	lr := LogReader{OnCheckpoint: func(c Checkpoint) { last = c }}
	lr.Read(&log)
	if string(last.Data) != `{"interrupted":true}` || !last.Final {
		t.Errorf("last checkpoint %q final %v; log:\n%s", last.Data, last.Final, log.String())
	}
}

// TestProgressTerminal: on a terminal each node keeps one line, redrawn
// in place; elsewhere each change is a line of its own, and a line that
// did not change is not repeated.
func TestProgressTerminal(t *testing.T) {
	var plain, tty bytes.Buffer
	for _, p := range []*progress{{w: &plain}, {w: &tty, tty: true}} {
		p.node("a", "Pending", nil)
		p.node("b", "Pending", nil)
		p.node("a", "Running", nil)
		p.node("a", "Running", nil)
		p.note("fleet: deleted pod/x")
	}
	if got := plain.String(); got != "fleet: a: Pending\nfleet: b: Pending\nfleet: a: Running\nfleet: deleted pod/x\n" {
		t.Errorf("plain progress %q", got)
	}
	want := "\x1b[2Kfleet: a: Pending\n" +
		"\x1b[1A\x1b[2Kfleet: a: Pending\n\x1b[2Kfleet: b: Pending\n" +
		"\x1b[2A\x1b[2Kfleet: a: Running\n\x1b[2Kfleet: b: Pending\n" +
		"\x1b[2A\x1b[2Kfleet: deleted pod/x\n\x1b[2Kfleet: a: Running\n\x1b[2Kfleet: b: Pending\n"
	if got := tty.String(); got != want {
		t.Errorf("terminal progress %q, want %q", got, want)
	}
}
