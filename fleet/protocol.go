package fleet

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The agent's lines in the pod's log. Everything else in the log is
// benchctl run's own output, passed through. A results block is
//
//	BENCHCTL-FLEET BEGIN <seq> <sha256> <bytes> partial|final
//	BENCHCTL-FLEET DATA <base64 of the gzipped file, in pieces>
//	...
//	BENCHCTL-FLEET END <seq>
//
// where sha256 and bytes are the results file's as the pod read it. The
// agent also says its uname and, last, benchctl run's exit code:
//
//	BENCHCTL-FLEET UNAME <release>
//	BENCHCTL-FLEET EXIT <code>
const (
	linePrefix = "BENCHCTL-FLEET "
	dataWidth  = 4096 // base64 characters per DATA line
)

// Checkpoint is one results file the pod printed.
type Checkpoint struct {
	Seq    int
	SHA256 string // hex, as the pod computed it
	Final  bool   // benchctl run had exited when it was printed
	Data   []byte // the results file, its SHA-256 checked
}

// writeBlock prints data as results block seq to w in one write, so no
// other line of the log lands inside it.
func writeBlock(w io.Writer, seq int, data []byte, final bool) error {
	sum := sha256.Sum256(data)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(z.Bytes())
	kind := "partial"
	if final {
		kind = "final"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%sBEGIN %d %s %d %s\n", linePrefix, seq, hex.EncodeToString(sum[:]), len(data), kind)
	for len(enc) > 0 {
		n := min(dataWidth, len(enc))
		b.WriteString(linePrefix + "DATA " + enc[:n] + "\n")
		enc = enc[n:]
	}
	fmt.Fprintf(&b, "%sEND %d\n", linePrefix, seq)
	_, err := io.WriteString(w, b.String())
	return err
}

// LogReader reads a pod's log: its checkpoints, uname, exit code, and the
// other lines (benchctl run's output) for the failure message.
type LogReader struct {
	// OnCheckpoint is called with each checkpoint whose SHA-256 and
	// size match what the pod said.
	OnCheckpoint func(Checkpoint)
	// OnLine is called with each line that is not the agent's.
	OnLine func(string)

	Uname string
	Exit  *int
	// Bad counts blocks that did not check out (a log cut in the middle
	// of a block, or a corrupt one); Err is the last reason.
	Bad int
	Err error

	open    bool
	cur     Checkpoint
	size    int
	enc     strings.Builder
	lastSeq int
}

// Read reads the log from r to its end.
func (lr *LogReader) Read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lr.Line(sc.Text())
	}
	if lr.open { // cut inside a block
		lr.open = false
		lr.fail(fmt.Errorf("results block %d cut off", lr.cur.Seq))
	}
	return sc.Err()
}

func (lr *LogReader) fail(err error) {
	lr.Bad++
	lr.Err = err
}

// Line takes one line of the log.
func (lr *LogReader) Line(line string) {
	rest, ok := strings.CutPrefix(line, linePrefix)
	if !ok {
		if lr.OnLine != nil {
			lr.OnLine(line)
		}
		return
	}
	verb, arg, _ := strings.Cut(rest, " ")
	switch verb {
	case "UNAME":
		lr.Uname = arg
	case "EXIT":
		if code, err := strconv.Atoi(arg); err == nil {
			lr.Exit = &code
		}
	case "BEGIN":
		if lr.open {
			lr.fail(fmt.Errorf("results block %d cut off", lr.cur.Seq))
		}
		f := strings.Fields(arg)
		if len(f) != 4 {
			lr.fail(fmt.Errorf("bad block header %q", arg))
			lr.open = false
			return
		}
		seq, err1 := strconv.Atoi(f[0])
		size, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || len(f[1]) != 64 {
			lr.fail(fmt.Errorf("bad block header %q", arg))
			lr.open = false
			return
		}
		lr.open, lr.cur, lr.size = true, Checkpoint{Seq: seq, SHA256: f[1], Final: f[3] == "final"}, size
		lr.enc.Reset()
	case "DATA":
		if lr.open {
			lr.enc.WriteString(arg)
		}
	case "END":
		if !lr.open {
			return
		}
		lr.open = false
		if seq, _ := strconv.Atoi(arg); seq != lr.cur.Seq {
			lr.fail(fmt.Errorf("results block %d ends as %q", lr.cur.Seq, arg))
			return
		}
		data, err := decodeBlock(lr.enc.String())
		if err != nil {
			lr.fail(fmt.Errorf("results block %d: %w", lr.cur.Seq, err))
			return
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != lr.cur.SHA256 || len(data) != lr.size {
			lr.fail(fmt.Errorf("results block %d: sha256 %s and %d bytes, the pod said %s and %d", lr.cur.Seq, got, len(data), lr.cur.SHA256, lr.size))
			return
		}
		c := lr.cur
		c.Data = data
		if c.Seq > lr.lastSeq && lr.OnCheckpoint != nil {
			lr.lastSeq = c.Seq
			lr.OnCheckpoint(c)
		}
	}
}

func decodeBlock(enc string) ([]byte, error) {
	z, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, 1<<30))
}
