package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// cover submits an agency's monthly plan coverage through the CLI, as one of
// its officers.
func (w *world) cover(agency, plan, typ string, items []string, usccs ...string) {
	w.t.Helper()
	args := []string{"match", "cover", "--plan-id", plan, "--type", typ, "--from", "now", "--to", "now+720h",
		"--items", strings.Join(items, ","), "--enterprises", strings.Join(usccs, ",")}
	if typ == "case" {
		args = append(args, "--trigger", "JB-2026-0107")
	}
	out := w.mustCLI(w.officerToken(w.f.officersOf[agency][0]), args...)
	if !strings.Contains(out, "已提交检查计划 "+plan) {
		w.t.Fatalf("cover output:\n%s", out)
	}
}

func (w *world) runMatching(token string) *ruqiv1.RunMatchingResponse {
	w.t.Helper()
	var resp ruqiv1.RunMatchingResponse
	mustUnmarshal(w.t, w.mustCLI(token, "-o", "json", "match", "run", "--from", "now", "--to", "now+720h"), &resp)
	return &resp
}

func memberOf(p *ruqiv1.JointVisitProposal, agency string) *ruqiv1.ProposalMember {
	for _, m := range p.GetMembers() {
		if m.GetAgencyId() == agency {
			return m
		}
	}
	return nil
}

// Three agencies' monthly plans for one enterprise are matched into one
// proposed joint visit; one agency declines; once the other two have
// accepted, the visit is registered through the normal path as one joint
// inspection of those two, the lead first. An agency cannot answer for
// another. The report counts the visit avoided by matching apart from one
// merged at registration.
func TestMatching_ThreeAgenciesPlans_OneDeclines_OthersJoined(t *testing.T) {
	// The default policy, announcing a week ahead instead of three days:
	// matching proposes the first working day at least a day ahead, which
	// from a Thursday afternoon is the Monday, more than three days away,
	// and the enterprise's view of the joint visit at the door would then
	// rightly leave out the lead agency's plan, not announced yet.
	w := worldWithPolicy(t, `{"default": {"agency_per_year": 2, "proactive_per_year_by_grade": {"A": 0},
		"warn_visits_per_day": 1, "warn_visits_per_week": 2, "warn_visits_per_month": 3, "notice_days": 7}}`)
	uscc := w.f.entA
	// AG-01 plans two items, the others one: AG-01 leads.
	w.cover("AG-01", "M-12", "routine", w.f.itemsOf["AG-01"][:2], uscc)
	w.cover("AG-02", "M-12", "routine", w.f.itemsOf["AG-02"][:1], uscc)
	w.cover("AG-07", "M-12", "routine", w.f.itemsOf["AG-07"][:1], uscc, w.f.entB)

	run := w.runMatching(w.admin)
	if len(run.GetProposals()) != 1 {
		t.Fatalf("matching: %v, want one proposal for %s", run, uscc)
	}
	p := run.GetProposals()[0]
	if p.GetEnterpriseUscc() != uscc || p.GetLeadAgencyId() != "AG-01" || len(p.GetMembers()) != 3 || len(p.GetChecklist()) != 4 ||
		p.GetWindowEnd().AsTime().Sub(p.GetWindowStart().AsTime()) != 8*time.Hour {
		t.Fatalf("proposal %v", p)
	}
	// Matching the same plans again proposes nothing new.
	if again := w.runMatching(w.admin); len(again.GetProposals()) != 0 {
		t.Fatalf("second run proposed %v", again.GetProposals())
	}
	tok := func(agency string) string { return w.officerToken(w.f.officersOf[agency][0]) }
	officers := func(agency string) string { return strings.Join(w.f.officersOf[agency][:2], ",") }

	// Each agency sees it, in Chinese.
	if out := w.mustCLI(tok("AG-02"), "match", "list", "--state", "open"); !strings.Contains(out, p.GetId()) || !strings.Contains(out, "AG-01（牵头，待响应）") {
		t.Fatalf("AG-02's list:\n%s", out)
	}
	// An open proposal says how to answer it.
	if out := w.mustCLI(tok("AG-02"), "match", "show", p.GetId()); !strings.Contains(out, "ruqi match accept "+"<提议编号>") || !strings.Contains(out, "ruqi match decline") {
		t.Fatalf("AG-02's match show of an open proposal does not say how to answer:\n%s", out)
	}
	// AG-07 cannot accept for AG-01, nor an agency outside the proposal
	// answer for itself: to it the proposal is unknown, as one that does
	// not exist (its id would tell the enterprise other agencies visit).
	r := w.cli(tok("AG-07"), "match", "accept", p.GetId(), "--agency", "AG-01", "--officers", officers("AG-01"))
	if r.exit == 0 || !strings.Contains(r.stderr, "只能为本部门") {
		t.Fatalf("AG-07 accepting for AG-01: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	r = w.cli(tok("AG-04"), "match", "decline", p.GetId())
	if r.exit == 0 || !strings.Contains(r.stderr, "不存在") {
		t.Fatalf("AG-04 answering: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}

	if out := w.mustCLI(tok("AG-02"), "match", "decline", p.GetId(), "--note", "本月已安排专项检查"); !strings.Contains(out, "等待其他部门响应") {
		t.Fatalf("decline:\n%s", out)
	}
	if out := w.mustCLI(tok("AG-07"), "match", "accept", p.GetId(), "--officers", officers("AG-07")); !strings.Contains(out, "等待其他部门响应") {
		t.Fatalf("AG-07 accepts:\n%s", out)
	}
	out := w.mustCLI(tok("AG-01"), "match", "accept", p.GetId(), "--officers", officers("AG-01"))
	if !strings.Contains(out, "已成团") || !strings.Contains(out, "一表通查") {
		t.Fatalf("the last acceptance:\n%s", out)
	}
	var list ruqiv1.ListProposalsResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list"), &list)
	if len(list.GetProposals()) != 1 {
		t.Fatalf("proposals %v", list.GetProposals())
	}
	p = list.GetProposals()[0]
	lead, other, declined := memberOf(p, "AG-01"), memberOf(p, "AG-07"), memberOf(p, "AG-02")
	if p.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED || p.GetJointInspectionId() == "" ||
		lead.GetInspectionId() == "" || other.GetInspectionId() == "" || declined.GetInspectionId() != "" ||
		declined.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED {
		t.Fatalf("registered proposal %v", p)
	}
	// One joint inspection of AG-01 and AG-07, AG-01 leading, in the
	// proposed window, registered as the officers who accepted.
	ins, err := ruqiv1.NewInspectionServiceClient(w.conn(w.admin)).GetInspection(context.Background(), &ruqiv1.GetInspectionRequest{InspectionId: other.GetInspectionId()})
	if err != nil {
		t.Fatal(err)
	}
	if i := ins.GetInspection(); i.GetJointInspectionId() != p.GetJointInspectionId() || !i.GetWindowStart().AsTime().Equal(p.GetWindowStart().AsTime()) ||
		i.GetRegisteredBy() != "officer:"+w.f.officersOf["AG-07"][0] {
		t.Fatalf("AG-07's inspection %v", i)
	}
	codes, err := ruqiv1.NewInspectionServiceClient(w.conn(tok("AG-07"))).GetInspectionCodes(context.Background(), &ruqiv1.GetInspectionCodesRequest{InspectionId: other.GetInspectionId()})
	if err != nil || len(codes.GetCodes()) != 2 {
		t.Fatalf("AG-07's codes: %v, %v", codes, err)
	}
	scan, _ := w.scan(w.entA, codes.GetCodes()[0].GetToken())
	// The visit is a day ahead at the earliest: shown, not yet valid.
	wantVerdict(t, "matched visit's code", scan, ruqiv1.Verdict_VERDICT_NOT_YET_VALID)
	if v := scan.GetInspection(); len(v.GetAgencies()) != 2 || v.GetAgencies()[0].GetId() != "AG-01" || len(v.GetCheckItems()) != 3 {
		t.Fatalf("the enterprise sees %v: want AG-01 leading AG-07, three checks", v)
	}
	// The proposal is closed: no more answers.
	if r := w.cli(tok("AG-02"), "match", "accept", p.GetId(), "--officers", officers("AG-02")); r.exit == 0 || !strings.Contains(r.stderr, "不能再响应") {
		t.Fatalf("answering a closed proposal: exit %d\n%s", r.exit, r.stderr)
	}

	// Two other agencies whose windows happen to overlap at entB: merged at
	// registration.
	start := time.Now().Add(3 * time.Hour)
	if _, err := w.registerAs("AG-04", w.f.entB, w.f.itemsOf["AG-04"][:1], start, start.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatal(err)
	}
	if _, err := w.registerAs("AG-05", w.f.entB, w.f.itemsOf["AG-05"][:1], start, start.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().Format("2006-01"), time.Now().Add(40*24*time.Hour).Format("2006-01")
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "supervisor", "report", "--from", from, "--to", to), &rep)
	if tot := rep.GetTotals(); tot.GetInspections() != 4 || tot.GetVisits() != 2 || tot.GetVisitsAvoidedByMatching() != 1 || tot.GetVisitsAvoidedAtRegistration() != 1 {
		t.Fatalf("report totals %v: want 4 inspections, 2 visits, 1 avoided by matching, 1 at registration", tot)
	}
	if out := w.mustCLI(w.admin, "supervisor", "report", "--from", from, "--to", to); !strings.Contains(out, "拼团撮合减少 1 次，报备时合并减少 1 次") {
		t.Fatalf("report:\n%s", out)
	}

	// The lead cancels its part: the proposal read 已成团, AG-01 leading, as
	// if the joint visit still stood (a trial of agencies' planners,
	// 2026-12-07). It says now that AG-07 goes on alone.
	w.mustCLI(tok("AG-01"), "officer", "cancel", "--inspection", lead.GetInspectionId(), "--reason", "企业停产，改期检查")
	out = w.mustCLI(tok("AG-07"), "match", "show", p.GetId())
	for _, want := range []string{"注意：此后AG-01撤销了报备", "只余AG-07按其计划单独检查", lead.GetInspectionId() + "（已撤销）"} {
		if !strings.Contains(out, want) {
			t.Errorf("match show after the lead cancelled lacks %q:\n%s", want, out)
		}
	}
	if out := w.mustCLI(tok("AG-07"), "match", "list"); !strings.Contains(out, "此后有部门撤销") {
		t.Errorf("match list after the lead cancelled:\n%s", out)
	}
}

// Matching respects the caps (无事不扰) and exemptions (有事必到): a grade A
// enterprise gets no proactive inspection, so only case-triggered plans are
// matched; an agency that has used its yearly quota at an enterprise is left
// out of that enterprise's visit, the others still matched.
func TestMatching_RespectsCapsAndExemptions(t *testing.T) {
	w := newWorld(t)
	// AG-01 has inspected entB twice this year: the default policy's cap.
	for i := 0; i < 2; i++ {
		start := time.Now().Add(time.Duration(2+i*30) * time.Hour)
		if _, err := w.registerAs("AG-01", w.f.entB, w.f.itemsOf["AG-01"][:1], start, start.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
			t.Fatal(err)
		}
	}
	w.cover("AG-01", "M-12", "routine", w.f.itemsOf["AG-01"][:3], w.f.gradeA, w.f.entB)
	w.cover("AG-02", "C-12", "case", w.f.itemsOf["AG-02"][:1], w.f.gradeA)
	w.cover("AG-07", "C-12", "case", w.f.itemsOf["AG-07"][:1], w.f.gradeA)
	w.cover("AG-04", "M-12", "routine", w.f.itemsOf["AG-04"][:1], w.f.entB)
	w.cover("AG-05", "M-12", "routine", w.f.itemsOf["AG-05"][:1], w.f.entB)

	run := w.runMatching(w.admin)
	if len(run.GetProposals()) != 2 || run.GetPlansCappedOut() != 2 {
		t.Fatalf("matching %v: want two proposals, AG-01 capped out of both", run)
	}
	// The list comes in pages: one proposal a page, then none left.
	matching := ruqiv1.NewMatchingServiceClient(w.conn(w.admin))
	seen := map[string]bool{}
	for token, pages := "", 0; ; pages++ {
		resp, err := matching.ListProposals(context.Background(), &ruqiv1.ListProposalsRequest{PageSize: 1, PageToken: token})
		if err != nil || len(resp.GetProposals()) != 1 || pages > 1 {
			t.Fatalf("page %d: %v, %v; want one proposal a page, two pages", pages, resp, err)
		}
		seen[resp.GetProposals()[0].GetId()] = true
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 2 || !seen[run.GetProposals()[0].GetId()] || !seen[run.GetProposals()[1].GetId()] {
		t.Fatalf("pages held %v, want the run's two proposals", seen)
	}
	if _, err := matching.ListProposals(context.Background(), &ruqiv1.ListProposalsRequest{PageToken: "not-a-token"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("a malformed page token: %v, want InvalidArgument", err)
	}
	for _, p := range run.GetProposals() {
		if memberOf(p, "AG-01") != nil || len(p.GetMembers()) != 2 {
			t.Fatalf("proposal for %s includes AG-01 or lacks a member: %v", p.GetEnterpriseUscc(), p)
		}
		if p.GetEnterpriseUscc() == w.f.gradeA && (memberOf(p, "AG-02").GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_CASE || memberOf(p, "AG-07") == nil) {
			t.Fatalf("grade A proposal %v: want the two case-triggered plans", p)
		}
	}
	// The exempt visit registers through the coordinator: case-triggered
	// checks pass the grade A cap.
	var gp *ruqiv1.JointVisitProposal
	for _, p := range run.GetProposals() {
		if p.GetEnterpriseUscc() == w.f.gradeA {
			gp = p
		}
	}
	for _, ag := range []string{"AG-02", "AG-07"} {
		w.mustCLI(w.officerToken(w.f.officersOf[ag][0]), "match", "accept", gp.GetId(), "--officers", strings.Join(w.f.officersOf[ag][:2], ","))
	}
	var list ruqiv1.ListProposalsResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list", "--state", "registered"), &list)
	if len(list.GetProposals()) != 1 || list.GetProposals()[0].GetJointInspectionId() == "" {
		t.Fatalf("registered proposals %v", list.GetProposals())
	}

	// Both members of the other proposal accept, but AG-04 has meanwhile
	// used its two inspections of entB: its registration is refused, and
	// AG-05's stands alone. That is no 成团 (noticed 2026-12-05: it was
	// listed 已成团 with "仅1个部门报备成功" beside it).
	var bp *ruqiv1.JointVisitProposal
	for _, p := range run.GetProposals() {
		if p.GetEnterpriseUscc() == w.f.entB {
			bp = p
		}
	}
	for i := 0; i < 2; i++ {
		start := time.Now().Add(time.Duration(24*20+i*30) * time.Hour)
		if _, err := w.registerAs("AG-04", w.f.entB, w.f.itemsOf["AG-04"][:1], start, start.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
			t.Fatal(err)
		}
	}
	for _, ag := range []string{"AG-04", "AG-05"} {
		w.mustCLI(w.officerToken(w.f.officersOf[ag][0]), "match", "accept", bp.GetId(), "--officers", strings.Join(w.f.officersOf[ag][:2], ","))
	}
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list", "--state", "registered"), &list)
	if len(list.GetProposals()) != 1 {
		t.Errorf("registered proposals %v: want only the grade A one", list.GetProposals())
	}
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list", "--state", "failed"), &list)
	if len(list.GetProposals()) != 1 || list.GetProposals()[0].GetId() != bp.GetId() {
		t.Fatalf("failed proposals %v: want %s", list.GetProposals(), bp.GetId())
	}
	got := list.GetProposals()[0]
	if ins := memberOf(got, "AG-05").GetInspectionId(); ins == "" || !strings.Contains(got.GetOutcome(), ins) || !strings.Contains(got.GetOutcome(), "未成团") {
		t.Errorf("proposal %s: AG-05's inspection %q, outcome %q; want 未成团 naming AG-05's inspection", got.GetId(), ins, got.GetOutcome())
	}
	if memberOf(got, "AG-04").GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED {
		t.Errorf("AG-04 in %v: want its registration refused", got)
	}
}

// Plans filed as inspection plans (检查计划, PlanService) are matched like
// coverage submitted to the matcher: two agencies' routine monthly plans
// listing one enterprise make one proposal naming the filed plans.
func TestMatching_FiledPlansAreMatched(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ids := map[string]string{}
	for _, agency := range []string{"AG-01", "AG-02"} {
		resp, err := ruqiv1.NewPlanServiceClient(w.conn(w.officerToken(w.f.officersOf[agency][0]))).FilePlan(ctx, &ruqiv1.FilePlanRequest{
			Title: "月度日常检查计划", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "月度计划",
			Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{w.f.entA}}, CheckItemIds: w.f.itemsOf[agency][:1],
			PeriodStart: timestamppb.New(time.Now()), PeriodEnd: timestamppb.New(time.Now().Add(30 * 24 * time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		ids[agency] = resp.GetPlan().GetId()
	}
	run := w.runMatching(w.admin)
	if len(run.GetProposals()) != 1 {
		t.Fatalf("matching filed plans: %v", run)
	}
	p := run.GetProposals()[0]
	if p.GetEnterpriseUscc() != w.f.entA || memberOf(p, "AG-01").GetPlanId() != ids["AG-01"] || memberOf(p, "AG-02").GetPlanId() != ids["AG-02"] {
		t.Fatalf("proposal %v: want the filed plans %v", p, ids)
	}
}

// A coverage submitted for matching as 专项 must name an approved 专项 plan
// of the agency: the accepted proposal registers that agency's part as a
// 专项 inspection under the coverage's plan id (settleProposal), which the
// registration then checks. `match cover --type special` with a plan id that
// is no plan at all is accepted today, matched into a proposal with the
// agency as lead, accepted by every member, and only at settlement is the
// lead's part refused ("检查计划 … 不存在"): the other agencies' officers
// were promised a joint visit that is never joint (an agency's trial, 2026-12-06; fixed since).
func TestMatching_SpecialCoverage_WithoutApprovedPlan_RefusedAtCover(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {"agency_per_year": 2, "proactive_per_year_by_grade": {"A": 0},
		"warn_visits_per_day": 1, "warn_visits_per_week": 2, "warn_visits_per_month": 3, "notice_days": 7}}`)
	uscc := w.f.entA
	tok := func(agency string) string { return w.officerToken(w.f.officersOf[agency][0]) }
	r := w.cli(tok("AG-01"), "match", "cover", "--plan-id", "ZX-NO-SUCH-PLAN", "--type", "special", "--from", "now", "--to", "now+720h",
		"--items", strings.Join(w.f.itemsOf["AG-01"][:2], ","), "--enterprises", uscc)
	if r.exit != 0 && strings.Contains(r.stderr, "PLAN_UNKNOWN") {
		return // refused at the door, as it should be
	}
	t.Errorf("match cover --type special naming no approved 专项 plan: accepted (exit 0), want a refusal naming the plan\n%s", r.stdout)
	// What follows from accepting it.
	w.cover("AG-02", "M-12", "routine", w.f.itemsOf["AG-02"][:1], uscc)
	run := w.runMatching(w.admin)
	if len(run.GetProposals()) != 1 {
		t.Fatalf("matching: %v", run)
	}
	p := run.GetProposals()[0]
	w.mustCLI(tok("AG-01"), "match", "accept", p.GetId(), "--officers", strings.Join(w.f.officersOf["AG-01"][:2], ","))
	w.mustCLI(tok("AG-02"), "match", "accept", p.GetId(), "--officers", strings.Join(w.f.officersOf["AG-02"][:2], ","))
	var list ruqiv1.ListProposalsResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list"), &list)
	for _, m := range list.GetProposals()[0].GetMembers() {
		if m.GetInspectionId() == "" {
			t.Errorf("after every member accepted, %s's part was not registered (answer %v, note %q; lead %s, joint %q)",
				m.GetAgencyId(), m.GetAnswer(), m.GetNote(), list.GetProposals()[0].GetLeadAgencyId(), list.GetProposals()[0].GetJointInspectionId())
		}
	}
}
