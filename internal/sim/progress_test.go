package sim

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// A phase that completes draws its count and ends its line; one that is
// ended early ends its line too, so the next phase starts on its own.
// Steps are counted from many goroutines, as the simulator's workers do.
func TestBar_PhasesEndTheirLines(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	b.Start("导入名录", 100)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				b.Add(1)
			}
		}()
	}
	wg.Wait()
	b.Start("模拟检查", 50) // ends the completed phase: no second newline
	b.Add(20)
	b.Done()
	b.Done() // a second Done draws nothing

	s := out.String()
	if !strings.Contains(s, "导入名录") || !strings.Contains(s, "100/100") || !strings.Contains(s, "模拟检查") {
		t.Fatalf("bar output lacks its phases or the final count:\n%q", s)
	}
	if n := strings.Count(s, "\n"); n != 2 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("bar output has %d line ends, want one per phase:\n%q", n, s)
	}
}
