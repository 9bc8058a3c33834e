package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

// Both binaries print one line for one build, their names aside.
func TestLine_NamesProgramAndGo(t *testing.T) {
	a, b := Line("ruqi"), Line("ruqi-server")
	if !strings.HasPrefix(a, "ruqi ") || !strings.HasSuffix(a, " "+runtime.Version()) {
		t.Errorf("Line(ruqi) = %q", a)
	}
	if strings.TrimPrefix(a, "ruqi ") != strings.TrimPrefix(b, "ruqi-server ") {
		t.Errorf("%q and %q differ beyond the name", a, b)
	}
	if s := Short(); s == "" || strings.Contains(s, " ") {
		t.Errorf("Short() = %q, want one word for a log", s)
	}
}
