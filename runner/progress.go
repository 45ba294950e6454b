package runner

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress receives scheduling events. The CLI picks a TTY status line or
// plain log lines.
type Progress interface {
	Start(total int)
	Running(label string)
	Done(label string, s Status, took time.Duration, err error)
	Finish()
}

type nopProgress struct{}

func (nopProgress) Start(int)                                 {}
func (nopProgress) Running(string)                            {}
func (nopProgress) Done(string, Status, time.Duration, error) {}
func (nopProgress) Finish()                                   {}

// LogProgress writes one line per finished stage, for logs and pipes.
type LogProgress struct {
	W  io.Writer
	mu sync.Mutex
}

// Start implements Progress.
func (p *LogProgress) Start(total int) { fmt.Fprintf(p.W, "eigenlab: %d stage instances\n", total) }

// Running implements Progress.
func (p *LogProgress) Running(label string) {}

// Done implements Progress.
func (p *LogProgress) Done(label string, s Status, took time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case s == StatusFailed:
		fmt.Fprintf(p.W, "FAIL    %s: %v\n", label, err)
	case s == StatusOK:
		fmt.Fprintf(p.W, "ran     %s (%s)\n", label, took.Round(time.Millisecond))
	case s == StatusSkipped:
		fmt.Fprintf(p.W, "skipped %s\n", label)
	}
}

// Finish implements Progress.
func (p *LogProgress) Finish() {}

// TTYProgress redraws one status line: done/total, cached, running, ETA.
// Failures are printed above it as they happen.
type TTYProgress struct {
	W       io.Writer
	mu      sync.Mutex
	total   int
	done    int
	cached  int
	failed  int
	running map[string]bool
	start   time.Time
}

// Start implements Progress.
func (p *TTYProgress) Start(total int) {
	p.total, p.start, p.running = total, time.Now(), map[string]bool{}
	p.draw()
}

// Running implements Progress.
func (p *TTYProgress) Running(label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[label] = true
	p.draw()
}

// Done implements Progress.
func (p *TTYProgress) Done(label string, s Status, took time.Duration, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, label)
	p.done++
	switch s {
	case StatusCached:
		p.cached++
	case StatusFailed:
		p.failed++
		fmt.Fprintf(p.W, "\r\033[KFAIL %s: %v\n", label, err)
	}
	p.draw()
}

// Finish implements Progress.
func (p *TTYProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	fmt.Fprintln(p.W)
}

// draw assumes p.mu is held. The ETA extrapolates the elapsed time per
// finished stage to the stages left.
func (p *TTYProgress) draw() {
	eta := "?"
	if p.done > 0 && p.done < p.total {
		per := time.Since(p.start) / time.Duration(p.done)
		eta = (per * time.Duration(p.total-p.done)).Round(time.Second).String()
	} else if p.done == p.total {
		eta = "0s"
	}
	fmt.Fprintf(p.W, "\r\033[K[%d/%d] %d cached, %d running, %d failed, ETA %s",
		p.done, p.total, p.cached, len(p.running), p.failed, eta)
}
