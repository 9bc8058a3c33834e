package sim

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Progress is told how far a phase has come. Its methods are safe for
// concurrent use; a nil Progress shows nothing.
type Progress interface {
	// Start begins a phase of total steps, ending the one before.
	Start(phase string, total int)
	// Add counts n steps done.
	Add(n int)
	// Done ends the phase.
	Done()
}

// noProgress shows nothing.
type noProgress struct{}

func (noProgress) Start(string, int) {}
func (noProgress) Add(int)           {}
func (noProgress) Done()             {}

func orNoProgress(p Progress) Progress {
	if p == nil {
		return noProgress{}
	}
	return p
}

// IsTerminal reports whether w is a character device (a terminal), where a
// progress bar that redraws its line makes sense.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Bar is a one-line progress bar redrawn in place on a terminal, at most
// five times a second:
//
//	模拟检查 [██████████░░░░░░░░░░░░░░] 412/1000  41%  215/秒  剩余 0:03
type Bar struct {
	w     io.Writer
	mu    sync.Mutex
	phase string
	total int
	start time.Time
	done  atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup
}

// NewBar returns a progress bar that draws on w (stderr).
func NewBar(w io.Writer) *Bar { return &Bar{w: w} }

// barWidth is the number of cells of the bar.
const barWidth = 24

func (b *Bar) Start(phase string, total int) {
	b.Done()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.phase, b.total, b.start = phase, total, time.Now()
	b.done.Store(0)
	b.stop = make(chan struct{})
	b.wg.Add(1)
	go func(stop chan struct{}) {
		defer b.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				b.draw(false)
			}
		}
	}(b.stop)
}

func (b *Bar) Add(n int) { b.done.Add(int64(n)) }

// Done draws the phase once more, complete or not, and ends its line.
func (b *Bar) Done() {
	b.mu.Lock()
	stop := b.stop
	b.stop = nil
	b.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	b.wg.Wait()
	b.draw(true)
}

func (b *Bar) draw(final bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	done, total := int(b.done.Load()), b.total
	elapsed := time.Since(b.start)
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	cells := int(frac * barWidth)
	bar := strings.Repeat("█", cells) + strings.Repeat("░", barWidth-cells)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "-"
	if rate > 0 && done < total {
		eta = fmtClock(time.Duration(float64(total-done) / rate * float64(time.Second)))
	}
	line := fmt.Sprintf("\r%s [%s] %d/%d %4.0f%%  %.0f/秒  已用 %s  剩余 %s ", b.phase, bar, done, total, frac*100, rate, fmtClock(elapsed), eta)
	if final {
		line += "\n"
	}
	_, _ = io.WriteString(b.w, line)
}

// fmtClock shows a duration as m:ss or h:mm:ss.
func fmtClock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
