package sim

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
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
// five times a second (github.com/schollz/progressbar):
//
//	模拟检查  41% [█████████░░░░░░░░░░░░░░░] (412/1000, 215 项/s) [2s:3s]
type Bar struct {
	w   io.Writer
	mu  sync.Mutex
	bar *progressbar.ProgressBar
}

// NewBar returns a progress bar that draws on w (stderr).
func NewBar(w io.Writer) *Bar { return &Bar{w: w} }

// barWidth is the number of cells of the bar.
const barWidth = 24

func (b *Bar) Start(phase string, total int) {
	b.Done()
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.w
	b.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(phase),
		progressbar.OptionSetWidth(barWidth),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("项"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetTheme(progressbar.Theme{Saucer: "█", SaucerPadding: "░", BarStart: "[", BarEnd: "]"}),
		progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(w, "\n") }),
	)
	_ = b.bar.RenderBlank()
}

func (b *Bar) Add(n int) {
	b.mu.Lock()
	bar := b.bar
	b.mu.Unlock()
	if bar != nil {
		_ = bar.Add(n)
	}
}

// Done ends the phase's line, complete or not, leaving its last state.
func (b *Bar) Done() {
	b.mu.Lock()
	bar := b.bar
	b.bar = nil
	b.mu.Unlock()
	if bar != nil && !bar.IsFinished() {
		_ = bar.Exit()
	}
}
