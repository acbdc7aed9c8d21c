package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/numfmt"
)

// Observer hears what a Runner does; Progress is the one benchctl uses.
// Calls come from the runner's goroutine, one at a time.
type Observer interface {
	Begin(plan Plan)
	RunStart(info RunInfo)
	RunEnd(info RunInfo, run *results.Run)
	Note(msg string)
	End()
}

// Plan is what a Runner is about to do.
type Plan struct {
	Variants int
	Rounds   int // measured rounds
	Warmup   int // warm-up rounds
	Runs     int // Variants × (Rounds + Warmup)
	// PerRun is the scenario's estimate of one run (0 when unknown).
	PerRun time.Duration
}

// RunInfo says which run is starting or ending.
type RunInfo struct {
	Index   int // 0-based position among all runs
	Variant string
	Round   int // as in Run.Round: warm-ups negative
	Warmup  bool
}

// Progress reports on a writer: on a terminal a progress bar with the
// current variant, round and ETA, redrawn in place, with notes and
// finished runs above it; elsewhere one plain line per event.
//
// It is drawn here rather than with a progress-bar library
// (schollz/progressbar/v3 was weighed, at v3.19.1) for two reasons. Its
// ETA is the library's own rolling rate since the bar began: it cannot
// start from the scenario's estimate of a run before the first run ends,
// which matters when one run takes minutes, nor leave out the fingerprint
// run before the first round, nor count down during a long run. And
// where the output is not a terminal (CI logs, a file) benchctl prints
// one plain line per run, which such a library does not draw: that half
// would stay here anyway, and what the library would take over (the
// redrawn line, about 20 lines) is less than the options it would need.
type Progress struct {
	w   io.Writer
	tty bool
	now func() time.Time
	// redraw is how often the bar is redrawn, to keep the ETA moving.
	redraw time.Duration

	mu       sync.Mutex
	plan     Plan
	begun    time.Time
	cur      RunInfo
	curStart time.Time
	running  bool
	done     int
	spent    time.Duration // wall time of finished runs
	drawn    bool
	stop     chan struct{}
	stopped  chan struct{}
}

// NewProgress reports on w; tty selects the redrawn progress bar.
func NewProgress(w io.Writer, tty bool) *Progress {
	return &Progress{w: w, tty: tty, now: time.Now, redraw: 500 * time.Millisecond}
}

// Begin starts reporting a plan.
func (p *Progress) Begin(plan Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan = plan
	p.begun = p.now()
	line := fmt.Sprintf("running %d variants × (%d rounds + %d warm-up) = %d runs", plan.Variants, plan.Rounds, plan.Warmup, plan.Runs)
	if plan.PerRun > 0 {
		line += ", about " + numfmt.Elapsed(time.Duration(plan.Runs)*plan.PerRun)
	}
	p.printLocked(line)
	if p.tty {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick(p.stop, p.stopped)
	}
}

func (p *Progress) tick(stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(p.redraw)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.drawLocked()
			p.mu.Unlock()
		}
	}
}

// RunStart notes that a run begins.
func (p *Progress) RunStart(info RunInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur, p.curStart, p.running = info, p.now(), true
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %s %s ...\n", info.Index+1, p.plan.Runs, p.roundLabel(info), info.Variant)
		return
	}
	p.drawLocked()
}

// RunEnd notes that a run finished (run.Error says whether it failed).
func (p *Progress) RunEnd(info RunInfo, run *results.Run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = false
	p.done++
	p.spent += p.now().Sub(p.curStart)
	p.printLocked(fmt.Sprintf("[%d/%d] %s %-28s %s", info.Index+1, p.plan.Runs, p.roundLabel(info), info.Variant, RunLine(run)))
}

// Note prints a message.
func (p *Progress) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printLocked(msg)
}

// End stops the progress bar and clears it.
func (p *Progress) End() {
	p.mu.Lock()
	stop, stopped := p.stop, p.stopped
	p.stop = nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, "finished %d of %d runs in %s\n", p.done, p.plan.Runs, numfmt.Elapsed(p.now().Sub(p.begun)))
}

func (p *Progress) roundLabel(info RunInfo) string {
	if info.Warmup {
		return fmt.Sprintf("warm-up %d/%d", info.Round+p.plan.Warmup+1, p.plan.Warmup)
	}
	return fmt.Sprintf("round %d/%d", info.Round+1, p.plan.Rounds)
}

// ETA estimates the time left: the average finished run (or the plan's
// estimate before any finished) times the runs left, less the time the
// current run has already taken.
func (p *Progress) ETA() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.etaLocked()
}

func (p *Progress) etaLocked() time.Duration {
	per := p.plan.PerRun
	if p.done > 0 {
		per = p.spent / time.Duration(p.done)
	}
	if per <= 0 {
		return -1
	}
	left := p.plan.Runs - p.done
	eta := time.Duration(left) * per
	if p.running {
		eta -= min(p.now().Sub(p.curStart), per)
	}
	return max(eta, 0)
}

func (p *Progress) printLocked(line string) {
	p.clearLocked()
	fmt.Fprintln(p.w, line)
	if p.tty && p.running {
		p.drawLocked()
	}
}

func (p *Progress) clearLocked() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

const barWidth = 24

func (p *Progress) drawLocked() {
	if !p.tty || p.plan.Runs == 0 {
		return
	}
	frac := float64(p.done) / float64(p.plan.Runs)
	filled := int(frac * barWidth)
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	eta := "?"
	if d := p.etaLocked(); d >= 0 {
		eta = numfmt.Elapsed(d)
	}
	line := fmt.Sprintf("[%s] %d/%d  %s  %s  ETA %s", bar, p.done, p.plan.Runs, p.roundLabel(p.cur), p.cur.Variant, eta)
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// RunLine is a one-line summary of a run's figures.
func RunLine(run *results.Run) string {
	if run.Error != "" {
		return "FAILED: " + run.Error
	}
	var parts []string
	if t := run.Workload.Throughput; t > 0 {
		s := numfmt.Short(t) + " " + run.Workload.Unit
		if c := run.Derived.ThroughputChange; c != nil {
			s += fmt.Sprintf(" (%+.1f%%)", *c*100)
		}
		parts = append(parts, s)
	}
	if run.Derived.KernelTimeNs > 0 {
		parts = append(parts, fmt.Sprintf("kernel %s", numfmt.Elapsed(time.Duration(run.Derived.KernelTimeNs))))
		if run.Derived.NsPerSyscall > 0 {
			parts = append(parts, fmt.Sprintf("%.1f ns/syscall", run.Derived.NsPerSyscall))
		}
	}
	if run.User.Events > 0 || run.Kernel.Attempted > 0 {
		parts = append(parts, fmt.Sprintf("%s events, %d drops", numfmt.Short(float64(run.User.Events)), run.Kernel.Drops()))
	}
	parts = append(parts, numfmt.Elapsed(run.Wall))
	return strings.Join(parts, ", ")
}
