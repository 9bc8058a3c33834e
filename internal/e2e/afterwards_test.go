package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// After the visit, end to end through the CLI: the officer records the
// result and closes; the enterprise sees it and evaluates once; the
// supervisor sees who evaluated, the agency only an anonymous aggregate.
func TestAfterwards_ResultEvaluationSupervision(t *testing.T) {
	w := newWorld(t)
	supervisor := w.issueToken("supervisor", "510000")
	reg := w.register("now", "now+4h")
	id := reg.GetInspection().GetId()
	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "scan", got, ruqiv1.Verdict_VERDICT_VALID)

	// Before deciding, the officer looks up the enterprise's prior results.
	w.mustCLI(w.officer, "officer", "prior", "--enterprise", w.f.entA)
	deadline := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	w.mustCLI(w.officer, "officer", "result", "--inspection", id,
		"--item", w.f.items[0]+"=no-problem", "--item", w.f.items[1]+"=rectify:"+deadline,
		"--summary", "特种设备定期检验过期，责令整改", "--close")

	// The enterprise sees the result at once.
	var hist ruqiv1.ListInspectionsResponse
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "history"), &hist)
	if len(hist.GetInspections()) != 1 || len(hist.GetInspections()[0].GetResults()) != 1 || hist.GetThisYear() != 1 {
		t.Fatalf("history after the result: %v", hist.GetInspections())
	}
	res := hist.GetInspections()[0].GetResults()[0]
	if len(res.GetItems()) != 2 || hist.GetInspections()[0].GetState() != ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
		t.Fatalf("result as the enterprise sees it: %v", res)
	}

	// It evaluates once; a second evaluation is refused.
	eval := []string{"company", "evaluate", "--inspection", id, "--certificate-shown=true", "--rights-explained=true", "--conducted-properly=false", "--overall", "2", "--comment", "检查人员态度生硬"}
	w.mustCLI(w.entA, eval...)
	if r := w.cli(w.entA, eval...); r.exit != 1 || !strings.Contains(r.stderr, "已评价") {
		t.Fatalf("second evaluation: exit %d\n%s", r.exit, r.stderr)
	}
	// Another enterprise cannot evaluate it.
	_, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entB)).EvaluateInspection(context.Background(), &ruqiv1.EvaluateInspectionRequest{InspectionId: id, Overall: 5})
	wantStatus(t, err, codes.NotFound, "INSPECTION_UNKNOWN")

	// The supervisor sees the evaluation with the enterprise.
	var evs ruqiv1.ListEvaluationsResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "evaluations"), &evs)
	if len(evs.GetEvaluations()) != 1 || evs.GetEvaluations()[0].GetEnterpriseUscc() != w.f.entA || evs.GetEvaluations()[0].GetOverall() != 2 {
		t.Fatalf("supervisor's evaluations: %v", evs.GetEvaluations())
	}
	// The agency sees an aggregate of closed months only, and nothing below
	// three evaluations: this month's one evaluation is not visible to it,
	// so it cannot read the answer off a before-and-after difference.
	var sum ruqiv1.GetEvaluationSummaryResponse
	mustUnmarshal(t, w.mustCLI(w.officer, "-o", "json", "officer", "evaluations"), &sum)
	if sum.GetSummary().GetEvaluations() != 0 || sum.GetSummary().GetOverallAverage() != 0 {
		t.Fatalf("agency summary with one evaluation this month: %v", sum.GetSummary())
	}
	var live ruqiv1.GetEvaluationSummaryResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "officer", "evaluations", "--agency", w.f.agency), &live)
	if live.GetSummary().GetEvaluations() != 1 {
		t.Fatalf("supervisor's live summary: %v", live.GetSummary())
	}
	// The report counts it: one inspection, scanned (亮码率 100%), evaluated.
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "report", "--group-by", "agency"), &rep)
	tot := rep.GetTotals()
	if tot.GetInspections() != 1 || tot.GetScanned() != 1 || tot.GetScanRate() != 1 || len(rep.GetEvaluations()) != 1 || rep.GetEvaluations()[0].GetOverallAverage() != 2 {
		t.Fatalf("report: totals %v evaluations %v", tot, rep.GetEvaluations())
	}
	// The CLI's CSV is the dashboard's (report.WriteCSV): it had no 亮码率
	// and no 合计 row, which the dashboard's export has.
	if csv := w.mustCLI(supervisor, "-o", "csv", "supervisor", "report", "--group-by", "agency"); !strings.HasPrefix(csv, "\ufeff分组（执法部门）,名称,检查次数") ||
		!strings.Contains(csv, ",亮码率\n") || !strings.Contains(csv, w.f.agency) || !strings.Contains(csv, "\n合计,") || !strings.Contains(csv, ",1,1,100.0%\n") {
		t.Fatalf("csv report:\n%s", csv)
	}
	for _, fn := range []func() error{
		func() error {
			_, err := ruqiv1.NewSupervisionServiceClient(w.conn(w.officer)).ListEvaluations(context.Background(), &ruqiv1.ListEvaluationsRequest{})
			return err
		},
		func() error {
			_, err := ruqiv1.NewAdminServiceClient(w.conn(w.officer)).ListEvents(context.Background(), &ruqiv1.ListEventsRequest{})
			return err
		},
	} {
		if status.Code(fn()) != codes.PermissionDenied {
			t.Fatal("an officer reached who evaluated")
		}
	}
}

// A refusal and a complaint become leads, and the supervisor moves them
// through their lifecycle, each step naming who took it.
func TestLeads_RefusalAndComplaint_Lifecycle(t *testing.T) {
	w := newWorld(t)
	supervisor := w.issueToken("supervisor", "510100")
	foreignSupervisor := w.issueToken("supervisor", "440300")
	w.mustCLI(w.entA, "company", "refuse", "--reason", "来人未出示入企码")
	w.mustCLI(w.entA, "company", "complain", "--officer", "自称市场监管局王某", "--at", "now-1h", "--description", "未报备即入企检查，态度恶劣")

	var leads ruqiv1.ListLeadsResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "leads"), &leads)
	kinds := map[ruqiv1.LeadKind]string{}
	for _, l := range leads.GetLeads() {
		kinds[l.GetKind()] = l.GetId()
	}
	if kinds[ruqiv1.LeadKind_LEAD_KIND_REFUSAL] == "" || kinds[ruqiv1.LeadKind_LEAD_KIND_COMPLAINT] == "" {
		t.Fatalf("leads: %v", leads.GetLeads())
	}
	// A supervisor of another region sees none of them.
	var none ruqiv1.ListLeadsResponse
	mustUnmarshal(t, w.mustCLI(foreignSupervisor, "-o", "json", "supervisor", "leads"), &none)
	if len(none.GetLeads()) != 0 {
		t.Fatalf("a foreign supervisor sees %d leads", len(none.GetLeads()))
	}
	lead := kinds[ruqiv1.LeadKind_LEAD_KIND_COMPLAINT]
	w.mustCLI(supervisor, "supervisor", "lead", "update", "--lead", lead, "--status", "checking", "--note", "已约谈相关部门")
	// received → rectified directly is not a step of the lifecycle.
	if r := w.cli(supervisor, "supervisor", "lead", "update", "--lead", kinds[ruqiv1.LeadKind_LEAD_KIND_REFUSAL], "--status", "rectified", "--note", "x"); r.exit != 1 {
		t.Fatalf("skipping 'checking': exit %d", r.exit)
	}
	var up ruqiv1.UpdateLeadResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "lead", "update", "--lead", lead, "--status", "transferred", "--note", "移交纪委监委"), &up)
	steps := up.GetLead().GetSteps()
	if up.GetLead().GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED || len(steps) != 3 || steps[2].GetBy() != "supervisor:510100" {
		t.Fatalf("lead after two steps: %v", up.GetLead())
	}
	// Another region's supervisor is told the lead does not exist, as of
	// one that does not: lead ids derived from what happened must not say
	// that it did.
	_, err := ruqiv1.NewSupervisionServiceClient(w.conn(foreignSupervisor)).UpdateLead(context.Background(), &ruqiv1.UpdateLeadRequest{LeadId: lead, Status: ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED, Note: "x"})
	wantStatus(t, err, codes.NotFound, "LEAD_UNKNOWN")
}

// A revoked token fails on its next call; a suspended officer's outstanding
// codes stop verifying.
func TestRevocationAndSuspension(t *testing.T) {
	w := newWorld(t)
	out := w.mustCLI(w.admin, "-o", "json", "admin", "token", "issue", "--role", "enterprise", "--subject", w.f.entB)
	var tok ruqiv1.IssueAccessTokenResponse
	mustUnmarshal(t, out, &tok)
	w.mustCLI(tok.GetToken(), "company", "history")
	w.mustCLI(w.admin, "admin", "token", "revoke", "--id", tok.GetTokenId())
	if r := w.cli(tok.GetToken(), "company", "history"); r.exit != 1 || !strings.Contains(r.stderr, "吊销") {
		t.Fatalf("revoked token: exit %d\n%s", r.exit, r.stderr)
	}

	reg := w.register("now", "now+4h")
	code := reg.GetCodes()[0]
	w.mustCLI(w.admin, "admin", "officer", "suspend", "--officer", code.GetOfficerId(), "--reason", "涉嫌违规执法，暂扣执法证")
	got, _ := w.scan(w.entA, code.GetToken())
	wantVerdict(t, "suspended officer's code", got, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID)
	// The agency learns it before the visit, from the inspection itself.
	show := func() string {
		return w.mustCLI(w.admin, "officer", "show", "--inspection", reg.GetInspection().GetId())
	}
	if out := show(); !strings.Contains(out, "无效（暂扣）") || !strings.Contains(out, "注意：") {
		t.Errorf("officer show with a suspended officer: no warning\n%s", out)
	}
	w.mustCLI(w.admin, "admin", "officer", "restore", "--officer", code.GetOfficerId(), "--reason", "核查无误")
	got, _ = w.scan(w.entA, code.GetToken())
	wantVerdict(t, "restored officer's code", got, ruqiv1.Verdict_VERDICT_VALID)
	if out := show(); strings.Contains(out, "无效") || strings.Contains(out, "注意：") {
		t.Errorf("officer show once restored: still warned\n%s", out)
	}
}

// An emergency inspection registered afterwards is marked late and always
// raised to the 司法局; a refusal in the trial phase is advisory.
func TestLateRegistration_AndTrialPhase(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(policy, []byte(`{"regions": {"510000": {"full_use_from": "2099-01-01"}}}`), 0o600)
	w := newWorld(t, "-policy-file", policy)
	supervisor := w.issueToken("supervisor", "510000")
	start := time.Now().Add(-3 * 24 * time.Hour)
	resp, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.f.entA, CheckItemIds: w.f.items[:1], OfficerIds: w.f.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-2026-0042", Reason: "群众举报疑似食品添加剂超标",
		LateReason: "证据可能灭失，先行检查；系统故障未能当场报备",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetInspection().GetLate() {
		t.Fatal("not marked late")
	}
	// Too late (beyond 10 days) is refused.
	old := time.Now().Add(-12 * 24 * time.Hour)
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).RegisterInspection(context.Background(), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.f.entA, CheckItemIds: w.f.items[:1], OfficerIds: w.f.officers[:2],
		WindowStart: timestamppb.New(old), WindowEnd: timestamppb.New(old.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "x", LateReason: "y",
	})
	wantStatus(t, err, codes.InvalidArgument, "LATE_TOO_LATE")

	var refusal ruqiv1.RefuseInspectionResponse
	mustUnmarshal(t, w.mustCLI(w.entA, "-o", "json", "company", "refuse", "--reason", "未出示入企码"), &refusal)
	if !refusal.GetAdvisory() || !strings.Contains(refusal.GetMessage(), "试运行") {
		t.Fatalf("refusal in the trial phase: %v", &refusal)
	}
	var leads ruqiv1.ListLeadsResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "leads"), &leads)
	late := 0
	for _, l := range leads.GetLeads() {
		if l.GetKind() == ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION && l.GetInspectionId() == resp.GetInspection().GetId() {
			late++
		}
	}
	if late != 1 {
		t.Fatalf("late registration leads: %d in %v", late, leads.GetLeads())
	}
}

// A code that cannot even be read is what refusal is for: the refusal is
// recorded, its lead says the code was unreadable, and the code's text is
// not believed (no inspection named).
func TestRefusal_UnreadableCode_Recorded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	supervisor := w.issueToken("supervisor", "510100")
	for i, scanned := range []string{"HTTPS://RUQI.EXAMPLE/V/NOT-A-CODE", strings.Repeat("码", 5000)} {
		resp, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{
			Code: scanned, Reason: "出示的二维码扫不出", RequestId: fmt.Sprint("unreadable-", i)})
		if err != nil {
			t.Fatalf("refusing an unreadable code: %v", err)
		}
		if resp.GetLeadId() == "" {
			t.Fatalf("refusal without a lead: %v", resp)
		}
	}
	var leads ruqiv1.ListLeadsResponse
	mustUnmarshal(t, w.mustCLI(supervisor, "-o", "json", "supervisor", "leads"), &leads)
	n := 0
	for _, l := range leads.GetLeads() {
		if l.GetKind() != ruqiv1.LeadKind_LEAD_KIND_REFUSAL {
			continue
		}
		if !strings.Contains(l.GetDescription(), "无法识别") || l.GetInspectionId() != "" {
			t.Fatalf("refusal lead %q for inspection %q, want the code said unreadable and no inspection", l.GetDescription(), l.GetInspectionId())
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d refusal leads, want 2", n)
	}
}

// A supervisor reads the events of its region's enterprises only: not
// another district's, and not those naming no enterprise (tokens, keys).
func TestEvents_SupervisorSeesItsRegionOnly(t *testing.T) {
	w := newWorld(t)
	region := map[string]string{}
	for _, uscc := range []string{w.f.entA, w.f.entB} {
		e, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.admin)).GetEnterprise(context.Background(), &ruqiv1.GetEnterpriseRequest{Uscc: uscc})
		if err != nil {
			t.Fatal(err)
		}
		region[uscc] = e.GetEnterprise().GetRegionCode()
	}
	if region[w.f.entA] == region[w.f.entB] {
		t.Fatalf("the sample's first two enterprises are both in %s: the test needs two districts", region[w.f.entA])
	}
	a := w.registerFor(w.f.entA, "now+1h", "now+3h").GetInspection().GetId()
	b := w.registerFor(w.f.entB, "now+1h", "now+3h").GetInspection().GetId()
	list := func(supervisor string) map[string]bool {
		t.Helper()
		var ev ruqiv1.ListEventsResponse
		mustUnmarshal(t, w.mustCLI(w.issueToken("supervisor", supervisor), "-o", "json", "admin", "events", "list"), &ev)
		seen := map[string]bool{}
		for _, e := range ev.GetEvents() {
			if r, ok := region[e.GetEnterpriseUscc()]; !ok || !domain.RegionCovers(supervisor, r) {
				t.Errorf("supervisor of %s sees event %d (%s, enterprise %q)", supervisor, e.GetSeq(), e.GetType(), e.GetEnterpriseUscc())
			}
			seen[e.GetInspectionId()] = true
		}
		return seen
	}
	if seen := list(region[w.f.entA]); !seen[a] || seen[b] {
		t.Errorf("supervisor of %s: sees %s %v, %s %v; want only the first", region[w.f.entA], a, seen[a], b, seen[b])
	}
	if seen := list("510000"); !seen[a] || !seen[b] {
		t.Errorf("supervisor of the province: sees %s %v, %s %v; want both", a, seen[a], b, seen[b])
	}
}
