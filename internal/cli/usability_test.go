package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A value a typed flag cannot parse (a duration, a number, a yes/no) is
// said in Chinese, without Go's parser's words or escaped bytes: an officer
// writes "4小时", "1d", "4", "五", "是".
func TestTypedFlagErrors_SaidInChinese(t *testing.T) {
	english := regexp.MustCompile(`flag:|time: |strconv\.|invalid syntax|unknown unit|missing unit|\\x[0-9a-f]{2}`)
	for _, args := range [][]string{
		{"officer", "register", "--enterprise", "91510100MA6123456W", "--items", "CI-0001",
			"--officers", "O-0001,O-0002", "--from", "2026-03-02 09:00", "--duration", "4小时",
			"--type", "routine", "--reason", "x"},
		{"officer", "register", "--enterprise", "91510100MA6123456W", "--items", "CI-0001",
			"--officers", "O-0001,O-0002", "--from", "2026-03-02 09:00", "--duration", "1d",
			"--type", "routine", "--reason", "x"},
		{"officer", "register", "--enterprise", "91510100MA6123456W", "--items", "CI-0001",
			"--officers", "O-0001,O-0002", "--from", "2026-03-02 09:00", "--duration", "４ｈ",
			"--type", "routine", "--reason", "x"},
		{"--timeout", "5", "keys", "list"},
		{"admin", "token", "issue", "--role", "officer", "--subject", "O-0001", "--ttl", "30天"},
		{"company", "evaluate", "--inspection", "INS-20260301-7QKZ3M2A", "--certificate-shown=是",
			"--rights-explained=true", "--conducted-properly=true", "--overall", "5"},
		{"company", "evaluate", "--inspection", "INS-20260301-7QKZ3M2A", "--certificate-shown=true",
			"--rights-explained=true", "--conducted-properly=true", "--overall", "五"},
	} {
		a, _, errOut := testApp(nil)
		code := a.run(args)
		if code != exitUsage {
			t.Errorf("ruqi %v: exit %d, want %d", args, code, exitUsage)
		}
		if m := english.FindString(errOut.String()); m != "" {
			t.Errorf("ruqi %v: stderr has Go's English %q:\n%s", args, m, errOut)
		}
	}
}

// Every role the administrator may issue a token for is named in the
// help of `admin token issue`: the agency head (agency-head) approves 专项
// plans, and only its token can.
func TestTokenIssueHelp_NamesAgencyHead(t *testing.T) {
	a, out, _ := testApp(nil)
	if code := a.run([]string{"admin", "token", "issue", "--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "agency-head") {
		t.Errorf("admin token issue --help does not name agency-head:\n%s", out)
	}
}

// A visit that is not an inspection (走访调研) says so when the officer
// registers it and reads it back, as the enterprise's scan does; the
// inspection's plan (专项) and draw (双随机) are shown too.
func TestTablePrinter_Inspection_ShowsKindPlanAndDraw(t *testing.T) {
	survey := sampleRegisterResponse()
	survey.Inspection.VisitKind = ruqiv1.VisitKind_VISIT_KIND_SURVEY
	survey.Inspection.Type = ruqiv1.InspectionType_INSPECTION_TYPE_UNSPECIFIED
	survey.Inspection.CheckItemIds = nil
	var out bytes.Buffer
	newPrinter("table", &out, &out).Registered("req-1", survey)
	assertContains(t, out.String(), "走访调研")

	special := sampleRegisterResponse()
	special.Inspection.Type = ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL
	special.Inspection.PlanId = "PLAN-202612-FW3USGEE"
	out.Reset()
	newPrinter("table", &out, &out).Registered("req-1", special)
	assertContains(t, out.String(), "PLAN-202612-FW3USGEE")

	random := sampleRegisterResponse()
	random.Inspection.Type = ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM
	random.Inspection.DrawId = "DRW-20261205-HFCQ6XRO"
	out.Reset()
	newPrinter("table", &out, &out).Registered("req-1", random)
	assertContains(t, out.String(), "DRW-20261205-HFCQ6XRO")
}

// match cover and match run take the plan's dates as plan file does: a
// bare date is midnight in Beijing, not a usage error.
func TestMatchCover_BareDateAsPlanFile(t *testing.T) {
	a, _, errOut := testApp(nil)
	code := a.run([]string{"--server", "127.0.0.1:1", "--timeout", "1s", "match", "cover",
		"--plan-id", "M-2026-12", "--type", "routine", "--from", "2026-12-12", "--to", "2026-12-25",
		"--items", "CI-0007", "--enterprises", "91510104U9LKEEAFM5"})
	if code == exitUsage {
		t.Errorf("--from 2026-12-12 is a usage error for match cover, accepted by plan file:\n%s", errOut)
	}
}

// A draw commit can be retried without committing a second draw: it takes
// a request id, as registration and plan filing do.
func TestDrawCommit_TakesRequestID(t *testing.T) {
	a, out, _ := testApp(nil)
	if code := a.run([]string{"draw", "commit", "--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "--request-id") {
		t.Errorf("draw commit has no --request-id: a retry after a lost answer commits a second draw\n%s", out)
	}
}

// A time typed in full-width characters is read as its half-width form,
// as ids are; and a call to a server that refused the connection sent
// nothing, so no hint says it may have taken effect (a trial of the CLI,
// 2026-12-05).
func TestFullWidthTimes_AndNoRetryHintWhenNothingWasSent(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, shanghai)
	got, err := parseTime("２０２６－１２－０７　０９：００", now)
	if want := time.Date(2026, 12, 7, 9, 0, 0, 0, shanghai); err != nil || !got.Equal(want) {
		t.Errorf("full-width time: %v, %v; want %v", got, err, want)
	}
	if d, err := parsePlanTime("２０２６－１２－２０", now); err != nil || d.Day() != 20 {
		t.Errorf("full-width date: %v, %v", d, err)
	}
	a, _, errOut := testApp(nil)
	a.run([]string{"--server", "127.0.0.1:1", "--token", "rq_x", "plan", "file", "--type", "routine", "--title", "x",
		"--enterprises", "91510104CY4C7RGWMR", "--items", "CI-0001", "--from", "2026-12-20", "--to", "2027-01-01"})
	if strings.Contains(errOut.String(), "可能已经提交") {
		t.Errorf("a refused connection is told its plan may have been filed:\n%s", errOut)
	}
}

// A command cancelled while it waited (Ctrl-C during ruqi login) says so
// in Chinese, not Go's "context canceled" (a review, 2026-12-05).
func TestPrintError_Cancelled_SaidInChinese(t *testing.T) {
	a, _, errOut := testApp(nil)
	a.printError(fmt.Errorf("wait for the browser: %w", context.Canceled))
	if s := errOut.String(); strings.Contains(s, "context canceled") || !strings.Contains(s, "已取消") {
		t.Errorf("a cancelled command says: %q", s)
	}
}

// A refusal whose message already ends in its kind's words was printed
// with them twice: "错误：检查计划 PLAN-… 不属于您的部门，无权操作（无权操作）"
// (plan show of another agency's plan, a planner's walk, 2026-12-07). The
// bracket says the kind only where the message does not.
func TestPrintError_KindNotSaidTwice(t *testing.T) {
	a, _, errOut := testApp(nil)
	a.printError(status.Error(codes.PermissionDenied, "检查计划 PLAN-202612-ZAGLGW7V 不属于您的部门，无权操作"))
	if s := errOut.String(); strings.Contains(s, "无权操作（无权操作）") || !strings.Contains(s, "错误：检查计划 PLAN-202612-ZAGLGW7V 不属于您的部门，无权操作\n") {
		t.Errorf("the refusal reads %q", s)
	}
	a, _, errOut = testApp(nil)
	a.printError(status.Error(codes.PermissionDenied, "部门负责人只能为本部门操作"))
	if s := errOut.String(); !strings.Contains(s, "部门负责人只能为本部门操作（无权操作）") {
		t.Errorf("the refusal reads %q: want its kind in brackets", s)
	}
}
