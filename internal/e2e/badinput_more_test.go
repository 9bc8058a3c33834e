package e2e

// Bad input a hostile or clumsy client sends, past what badinput_test.go
// covers. Found by a trial of bad input (2026-12-06); each test failed on
// the code before its fix.

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// wantRefusedInWords: the code asked, a bounded message in Chinese, no Go or gRPC
// text, valid UTF-8 without byte escapes.
func wantRefusedInWords(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	st := status.Convert(err)
	msg := st.Message()
	switch {
	case st.Code() != code:
		t.Errorf("%s: got %s %q, want %s", what, st.Code(), msg, code)
	case !hasCJK(msg):
		t.Errorf("%s: message %q is not in words an officer reads", what, msg)
	case strings.Contains(msg, "grpc:") || strings.Contains(msg, "proto:") || strings.Contains(msg, `\x`) || !utf8.ValidString(msg):
		t.Errorf("%s: message %q carries Go/gRPC text or byte escapes", what, msg)
	case utf8.RuneCountInString(msg) > 600:
		t.Errorf("%s: message of %d characters", what, utf8.RuneCountInString(msg))
	}
}

// A string field that is not UTF-8 is a client's mistake: InvalidArgument
// in Chinese, like a NUL (NUL_IN_TEXT). The server answers Internal with
// grpc-go's English "grpc: failed to unmarshal the received message:
// string field contains invalid UTF-8", on every RPC, before any
// interceptor sees the request.
func TestBadInput_TextNotUTF8_InvalidArgumentInWords(t *testing.T) {
	w := newWorld(t)
	notUTF8 := string([]byte{'I', 'N', 'S', 0xff, 0xfe, 0xc3, 0x28})
	cases := []struct {
		method, token string
		field         protowire.Number
	}{
		{"/ruqi.v1.InspectionService/GetInspection", w.officer, 1}, // inspection_id
		{"/ruqi.v1.EnterpriseService/Complain", w.entA, 4},         // description
		{"/ruqi.v1.EnterpriseService/ScanCode", w.entA, 1},         // code
		{"/ruqi.v1.DirectoryService/GetEnterprise", w.admin, 1},    // uscc
	}
	before := w.eventCount()
	for _, c := range cases {
		req := protowire.AppendTag(nil, c.field, protowire.BytesType)
		req = protowire.AppendString(req, notUTF8)
		var out []byte
		err := w.conn(c.token).Invoke(context.Background(), c.method, &req, &out, grpc.ForceCodec(rawCodec{})) // bytes no Go client would marshal
		wantRefusedInWords(t, c.method, err, codes.InvalidArgument)
	}
	if after := w.eventCount(); after != before {
		t.Errorf("requests that are not UTF-8 wrote %d events", after-before)
	}
}

// Timestamps outside what google.protobuf.Timestamp allows (nanos outside
// 0..999,999,999; seconds before 0001 or after 9999) are accepted and
// stored as sent; the record then cannot be written as JSON
// (`ruqi officer show -o json`, `ruqi supervisor leads -o json` fail for
// the whole list) and the dashboard shows the year 292277026596.
func TestBadInput_TimesOutOfRange_RefusedNotStored(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	now := time.Now()
	ins := ruqiv1.NewInspectionServiceClient(w.conn(w.officer))

	_, err := ins.RegisterInspection(ctx, &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.f.entA, CheckItemIds: w.f.items, OfficerIds: w.f.officers[:2],
		WindowStart: &timestamppb.Timestamp{Seconds: now.Add(time.Hour).Unix(), Nanos: -1},
		WindowEnd:   &timestamppb.Timestamp{Seconds: now.Add(3 * time.Hour).Unix(), Nanos: 1_999_999_999},
		Type:        ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	wantRefusedInWords(t, "RegisterInspection, window nanos out of range", err, codes.InvalidArgument)

	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).Complain(ctx, &ruqiv1.ComplainRequest{
		Description: "未出示入企码", OccurredAt: &timestamppb.Timestamp{Seconds: math.MaxInt64}})
	wantRefusedInWords(t, "Complain, occurred_at seconds MaxInt64", err, codes.InvalidArgument)

	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).Complain(ctx, &ruqiv1.ComplainRequest{
		Description: "未出示入企码", OccurredAt: &timestamppb.Timestamp{Seconds: -62135596801 - 400*86400}})
	wantRefusedInWords(t, "Complain, occurred_at before year 0001", err, codes.InvalidArgument)

	reg := w.registerFor(w.f.entB, "now", "now+4h")
	_, err = ins.RecordResult(ctx, &ruqiv1.RecordResultRequest{InspectionId: reg.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{{
		CheckItemId: w.f.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED,
		RectificationDeadline: &timestamppb.Timestamp{Seconds: 253402300800 + 100}}}}) // after 9999-12-31
	wantRefusedInWords(t, "RecordResult, deadline after 9999", err, codes.InvalidArgument)

	// What a stored one does: the supervisor's list of leads cannot be
	// written as JSON any more, and the CLI says so on stderr but exits 0.
	sup := w.issueToken("supervisor", "510100")
	r := w.cli(sup, "-o", "json", "supervisor", "leads")
	if r.exit == 0 && strings.TrimSpace(r.stdout) == "" {
		t.Errorf("`supervisor leads -o json` printed nothing and exited 0; stderr: %s", r.stderr)
	} else if r.exit != 0 {
		t.Errorf("`supervisor leads -o json` failed (exit %d): %s", r.exit, r.stderr)
	}
}

// A region code that is not one is refused by every RPC that takes one
// ("行政区划代码应为6位数字") but GetFrequencyReport: an administrator's
// report for region "<script>" (or for 1 MB of "A") is OK, the region echoed
// back in the response; a supervisor's is PermissionDenied ("不在您监督的范围")
// rather than InvalidArgument. An unknown group_by is OK too.
func TestBadInput_ReportFilters_InvalidArgument(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sup := w.issueToken("supervisor", "510100")
	for name, tok := range map[string]string{"admin": w.admin, "supervisor": sup} {
		rep := ruqiv1.NewReportServiceClient(w.conn(tok))
		_, err := rep.GetFrequencyReport(ctx, &ruqiv1.GetFrequencyReportRequest{RegionCode: "<script>"})
		wantRefusedInWords(t, name+": region_code <script>", err, codes.InvalidArgument)
		_, err = rep.GetFrequencyReport(ctx, &ruqiv1.GetFrequencyReportRequest{RegionCode: strings.Repeat("A", 500_000)})
		wantRefusedInWords(t, name+": region_code of 500,000 characters", err, codes.InvalidArgument)
		_, err = rep.GetFrequencyReport(ctx, &ruqiv1.GetFrequencyReportRequest{GroupBy: ruqiv1.GroupBy(999)})
		wantRefusedInWords(t, name+": group_by 999", err, codes.InvalidArgument)
	}
}

// An unknown enum value is refused where it is a choice (IssueAccessToken's
// role, SetCertificateStatus's status, FilePlan's type...), but a list
// filtered by an unknown status answers OK with nothing, as if there were
// none, and UpdateLead to status 999 is FailedPrecondition saying the lead
// "不能改为“”".
func TestBadInput_UnknownEnumValues_InvalidArgument(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	sup := w.issueToken("supervisor", "510100")
	_, err := ruqiv1.NewSupervisionServiceClient(w.conn(sup)).ListLeads(ctx, &ruqiv1.ListLeadsRequest{Status: ruqiv1.LeadStatus(999)})
	wantRefusedInWords(t, "ListLeads status 999", err, codes.InvalidArgument)
	_, err = ruqiv1.NewMatchingServiceClient(w.conn(w.officer)).ListProposals(ctx, &ruqiv1.ListProposalsRequest{State: ruqiv1.ProposalState(999)})
	wantRefusedInWords(t, "ListProposals state 999", err, codes.InvalidArgument)

	lead := strings.TrimSpace(w.mustCLI(w.entA, "company", "complain", "--officer", "自称王某", "--description", "未出示入企码", "-q"))
	_, err = ruqiv1.NewSupervisionServiceClient(w.conn(sup)).UpdateLead(ctx, &ruqiv1.UpdateLeadRequest{LeadId: lead, Status: ruqiv1.LeadStatus(999), Note: "核查"})
	wantRefusedInWords(t, "UpdateLead status 999", err, codes.InvalidArgument)
}

// A population member too long for a draw is echoed cut in the middle of a
// character and quoted with %q: the officer reads `\xe6` in the message.
func TestBadInput_DrawMemberTooLong_MessageIsText(t *testing.T) {
	w := newWorld(t)
	aadmin := w.issueToken("agency-admin", w.f.agency)
	_, err := ruqiv1.NewDrawServiceClient(w.conn(aadmin)).CommitDraw(context.Background(), &ruqiv1.CommitDrawRequest{
		Title: "抽取", EnterprisePopulation: []string{strings.Repeat("检", 100)}, EnterpriseCount: 1})
	wantRefusedInWords(t, "CommitDraw, member of 100 Han characters", err, codes.InvalidArgument)
}
