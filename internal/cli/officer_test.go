package cli

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
)

func TestPNGNameFor(t *testing.T) {
	tests := []struct{ file, officer, want string }{
		{"code.png", "O-0001", "code-O-0001.png"},
		{"out/code.png", "O-0002", "out/code-O-0002.png"},
		{"code", "O-0001", "code-O-0001"},
		{"a.b/code", "O-0001", "a.b/code-O-0001"},
		{"code.v2.png", "O-0001", "code.v2-O-0001.png"},
		{"code.png", "../etc/x", "code-.._etc_x.png"},
	}
	for _, tt := range tests {
		if got := pngNameFor(tt.file, tt.officer); got != tt.want {
			t.Errorf("pngNameFor(%q, %q) = %q, want %q", tt.file, tt.officer, got, tt.want)
		}
	}
}

// registerRequest parses register flags and builds the request, without a
// server.
func registerRequest(t *testing.T, args ...string) (*ruqiv1.RegisterInspectionRequest, error) {
	t.Helper()
	var o registerOptions
	cmd := &cobra.Command{Use: "register"}
	o.addFlags(cmd.Flags())
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return o.request(cmd, testNow)
}

// withBase is a complete set of register flags but the window, plus args.
func withBase(args ...string) []string {
	return append(append([]string{}, registerBase...), args...)
}

var registerBase = []string{
	"--enterprise", "91510100MA6123456W",
	"--items", "CI-0001, CI-0002,",
	"--officers", "O-0001", "--officers", "O-0002",
	"--type", "routine", "--reason", "年度日常检查",
}

func TestRegisterRequest_FromAndDuration(t *testing.T) {
	req, err := registerRequest(t, withBase("--from", "now+2h", "--duration", "4h")...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.GetWindowStart().AsTime(), testNow.Add(2*time.Hour); !got.Equal(want) {
		t.Errorf("start %v, want %v", got, want)
	}
	if got, want := req.GetWindowEnd().AsTime(), testNow.Add(6*time.Hour); !got.Equal(want) {
		t.Errorf("end %v, want %v", got, want)
	}
	if got := strings.Join(req.GetCheckItemIds(), ","); got != "CI-0001,CI-0002" {
		t.Errorf("items %q", got)
	}
	if got := strings.Join(req.GetOfficerIds(), ","); got != "O-0001,O-0002" {
		t.Errorf("officers %q", got)
	}
	if req.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE {
		t.Errorf("type %v", req.GetType())
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(req.GetRequestId()) {
		t.Errorf("request id %q is not a UUID v4", req.GetRequestId())
	}
}

func TestRegisterRequest_ToInShanghaiTime(t *testing.T) {
	req, err := registerRequest(t, append(registerBase,
		"--from", "2026-03-02 09:00", "--to", "2026-03-02T12:30", "--request-id", "retry-1")...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.GetWindowEnd().AsTime(), time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("end %v, want %v", got, want)
	}
	if req.GetRequestId() != "retry-1" {
		t.Errorf("request id %q, want the one given", req.GetRequestId())
	}
}

func TestRegisterRequest_UsageErrors(t *testing.T) {
	tests := map[string][]string{
		"no end":           withBase("--from", "now"),
		"to and duration":  withBase("--from", "now", "--to", "now+1h", "--duration", "1h"),
		"end before start": withBase("--from", "now", "--to", "now-1h"),
		"bad time":         withBase("--from", "tomorrow", "--duration", "1h"),
		"bad uscc":         withBase("--from", "now", "--duration", "1h", "--enterprise", "91510100MA61234567"),
	}
	for name, args := range tests {
		_, err := registerRequest(t, args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: got %v, want a usage error", name, err)
		}
	}
}

func TestNewRequestID_Unique(t *testing.T) {
	first, second := newRequestID(), newRequestID()
	if first == second {
		t.Error("two request ids are equal")
	}
}

// The retry hint's times, read back by the flags, are the instants the
// lost call sent, whatever relative form the first call used: a retry
// that followed it would otherwise name another window and be refused as
// its request id reused. The clock has nanoseconds, as time.Now gives
// them: "now+90m" read to the nanosecond was printed to the second, and
// the retry refused (an agency's trial, 2026-12-06).
func TestRetryHint_TimesReadBackAsSent(t *testing.T) {
	now := time.Date(2026, 12, 2, 7, 59, 30, 575238305, time.UTC)
	from, err := parseTime("now+90m", now)
	if err != nil {
		t.Fatal(err)
	}
	to := from.Add(4*time.Hour + 15*time.Second)
	hint := retryHint("报备可能已经生效", "报备", "r-1", from, to)
	fields := strings.Fields(hint)
	flag := func(name string) string {
		for i, f := range fields[:len(fields)-1] {
			if f == name {
				return fields[i+1]
			}
		}
		t.Fatalf("hint lacks %s: %q", name, hint)
		return ""
	}
	for name, want := range map[string]time.Time{"--from": from, "--to": to} {
		got, err := parseTime(flag(name), now.Add(time.Hour))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s %q reads back as %v, %v; want %v", name, flag(name), got, err, want)
		}
		if p, err := parsePlanTime(flag(name), now); err != nil || !p.Equal(want) {
			t.Errorf("plan %s %q reads back as %v, %v; want %v", name, flag(name), p, err, want)
		}
	}
	if flag("--request-id") != "r-1" {
		t.Errorf("hint: %q", hint)
	}
}
