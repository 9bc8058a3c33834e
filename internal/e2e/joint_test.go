package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// registerAs registers through gRPC as an officer of agency.
func (w *world) registerAs(agency, uscc string, items []string, start, end time.Time, typ ruqiv1.InspectionType) (*ruqiv1.RegisterInspectionResponse, error) {
	w.t.Helper()
	officers := w.f.officersOf[agency]
	tok := w.officerToken(officers[0])
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: items, OfficerIds: officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end),
		Type: typ, Reason: "联合检查测试",
	}
	if typ == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
		req.TriggerReference = "TS-2026-001"
	}
	return ruqiv1.NewInspectionServiceClient(w.conn(tok)).RegisterInspection(context.Background(), req)
}

var tokenCache sync.Map

func (w *world) officerToken(officer string) string {
	key := w.dataDir + "/" + officer
	if t, ok := tokenCache.Load(key); ok {
		return t.(string)
	}
	t := w.issueToken("officer", officer)
	tokenCache.Store(key, t)
	return t
}

func TestJoint_OverlappingPlansOfTwoAgencies_OneVisitOneChecklist(t *testing.T) {
	w := newWorld(t)
	// entB is in 锦江区, AG-03's territory (属地管辖); the others are the city's.
	start := time.Now()
	// AG-03 and AG-04 both list the same fire-safety check (CI-0017, CI-0018).
	a, err := w.registerAs("AG-03", w.f.entB, []string{"CI-0017", w.f.itemsOf["AG-03"][0]}, start, start.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if a.GetJointInspection() != nil {
		t.Fatalf("a plan alone is no joint inspection: %v", a.GetJointInspection())
	}
	b, err := w.registerAs("AG-04", w.f.entB, []string{"CI-0018"}, start, start.Add(6*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM)
	if err != nil {
		t.Fatal(err)
	}
	j := b.GetJointInspection()
	if j == nil || len(j.GetInspectionIds()) != 2 || j.GetLeadAgencyId() != "AG-03" {
		t.Fatalf("joint = %v, want both plans with AG-03 leading", j)
	}
	// The first agency's code, issued before the merge, now shows the joint
	// visit: both agencies, four officers, the shared check once under both.
	got, _ := w.scan(w.entB, a.GetCodes()[0].GetToken())
	wantVerdict(t, "first agency's code", got, ruqiv1.Verdict_VERDICT_VALID)
	v := got.GetInspection()
	if v.GetJointInspectionId() != j.GetId() || len(v.GetAgencies()) != 2 || len(v.GetOfficers()) != 4 || v.GetAgencies()[0].GetId() != "AG-03" {
		t.Fatalf("view of the joint visit: %v", v)
	}
	shared := 0
	for _, it := range v.GetCheckItems() {
		if len(it.GetAgencyIds()) == 2 {
			shared++
		}
	}
	if len(v.GetCheckItems()) != 2 || shared != 1 {
		t.Fatalf("checklist %v: want 2 lines, the fire check once under both agencies", v.GetCheckItems())
	}

	// The visit window shown is the common time: both windows, 4 hours.
	if got := v.GetWindowEnd().AsTime().Sub(v.GetWindowStart().AsTime()); got != 4*time.Hour {
		t.Fatalf("joint visit window %v long, want the 4 hours both plans share", got)
	}
	// The enterprise's history counts two inspections and one visit (进一次门).
	if out := w.mustCLI(w.entB, "company", "history"); !strings.Contains(out, "今年被检查2次（入企1次）") {
		t.Errorf("history of one joint visit of two agencies:\n%s", out)
	}

	// A third agency whose window overlaps the second plan but not the
	// common time is a visit of its own: it never links two visits.
	lone, err := w.registerAs("AG-07", w.f.entB, w.f.itemsOf["AG-07"][:1], start.Add(5*time.Hour), start.Add(8*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if lone.GetJointInspection() != nil {
		t.Fatalf("a plan outside the common time joined %v", lone.GetJointInspection())
	}
	// One overlapping the common time by an hour joins, and the common
	// time shrinks to that hour.
	c, err := w.registerAs("AG-05", w.f.entB, w.f.itemsOf["AG-05"][:1], start.Add(3*time.Hour), start.Add(5*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetJointInspection().GetId() != j.GetId() || len(c.GetJointInspection().GetInspectionIds()) != 3 {
		t.Fatalf("third plan: %v", c.GetJointInspection())
	}
	if cj := c.GetJointInspection(); cj.GetCommonEnd().AsTime().Sub(cj.GetCommonStart().AsTime()) != time.Hour {
		t.Fatalf("the officer is told the common time %v–%v, want one hour", cj.GetCommonStart().AsTime(), cj.GetCommonEnd().AsTime())
	}
	got, _ = w.scan(w.entB, a.GetCodes()[0].GetToken())
	if d := got.GetInspection().GetWindowEnd().AsTime().Sub(got.GetInspection().GetWindowStart().AsTime()); d != time.Hour {
		t.Fatalf("common time of three plans: %v, want 1h", d)
	}

	// The same agency again, overlapping its own plan: a duplicate, named.
	_, err = w.registerAs("AG-03", w.f.entB, w.f.itemsOf["AG-03"][1:2], start.Add(time.Hour), start.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	wantStatus(t, err, codes.AlreadyExists, "DUPLICATE_PLAN")
	if !strings.Contains(status.Convert(err).Message(), a.GetInspection().GetId()) {
		t.Fatalf("duplicate message does not name the existing inspection: %v", err)
	}

	// A plan whose visit already took place (AG-03's code was scanned)
	// cannot be cancelled: that would give back its quota.
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(w.f.officersOf["AG-03"][0]))).CancelInspection(context.Background(),
		&ruqiv1.CancelInspectionRequest{InspectionId: a.GetInspection().GetId(), Reason: "改为单独专项检查"})
	wantStatus(t, err, codes.FailedPrecondition, "INSPECTION_HAPPENED")

	// AG-05 withdraws: the visit goes on for the others, AG-03 still leading.
	// (A lead's withdrawal handing the lead on is in the coordinator suite.)
	cancel, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(w.f.officersOf["AG-05"][0]))).CancelInspection(context.Background(),
		&ruqiv1.CancelInspectionRequest{InspectionId: c.GetInspection().GetId(), Reason: "改为单独专项检查"})
	if err != nil {
		t.Fatal(err)
	}
	if cancel.GetJointInspection().GetId() != j.GetId() || cancel.GetJointInspection().GetLeadAgencyId() != "AG-03" {
		t.Fatalf("after AG-05 withdrew: %v", cancel.GetJointInspection())
	}
	got, _ = w.scan(w.entB, b.GetCodes()[0].GetToken())
	wantVerdict(t, "second agency's code after the withdrawal", got, ruqiv1.Verdict_VERDICT_VALID)
	if len(got.GetInspection().GetAgencies()) != 2 || got.GetInspection().GetLeadAgencyId() != "AG-03" {
		t.Fatalf("view after withdrawal: %v", got.GetInspection())
	}
	// The common time is the two remaining plans' again.
	if d := got.GetInspection().GetWindowEnd().AsTime().Sub(got.GetInspection().GetWindowStart().AsTime()); d != 4*time.Hour {
		t.Fatalf("common time after the withdrawal: %v, want 4h", d)
	}
	got, _ = w.scan(w.entB, c.GetCodes()[0].GetToken())
	wantVerdict(t, "withdrawn plan's code", got, ruqiv1.Verdict_VERDICT_CANCELLED)
}

func TestPolicy_CapsAndWarnings(t *testing.T) {
	w := newWorld(t)
	// 10:00 tomorrow, China time: the visits below (up to 4 h after it)
	// fall on one calendar day wherever in the day the test runs. The
	// yearly cap counts by calendar year, so visits up to 5 days out must
	// stay in one: late in December, 2 January instead.
	y, m, d := time.Now().In(domain.Shanghai).AddDate(0, 0, 1).Date()
	day := time.Date(y, m, d, 10, 0, 0, 0, domain.Shanghai)
	if day.AddDate(0, 0, 5).Year() != day.Year() {
		day = time.Date(day.Year()+1, 1, 2, 10, 0, 0, 0, domain.Shanghai)
	}
	items := w.f.itemsOf["AG-02"][:1]
	// The default policy: at most 2 proactive inspections per agency per
	// enterprise per calendar year (涟源).
	for i := 0; i < 2; i++ {
		s := day.Add(time.Duration(i) * 48 * time.Hour)
		if _, err := w.registerAs("AG-02", w.f.entB, items, s, s.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
			t.Fatal(err)
		}
	}
	s := day.Add(96 * time.Hour)
	_, err := w.registerAs("AG-02", w.f.entB, items, s, s.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	wantStatus(t, err, codes.ResourceExhausted, "FREQUENCY_CAP")
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "上限为2次") || !strings.Contains(msg, "第3次") {
		t.Fatalf("cap message should name the rule, the count and the period: %s", msg)
	}
	// 有事必到: a case-triggered check is not capped.
	if _, err := w.registerAs("AG-02", w.f.entB, items, s, s.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_CASE); err != nil {
		t.Fatalf("case-triggered check refused: %v", err)
	}
	// A second separate visit on the first day is registered with a warning.
	resp, err := w.registerAs("AG-03", w.f.entB, w.f.itemsOf["AG-03"][:1], day.Add(3*time.Hour), day.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE) // 锦江区's agency: entB is there
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, w := range resp.GetWarnings() {
		rules[w.GetRule()] = true
	}
	if !rules["visits_per_day"] {
		t.Fatalf("warnings %v, want visits_per_day among them", resp.GetWarnings())
	}
	// Grade A: no proactive inspection at all.
	_, err = w.registerAs("AG-02", w.f.gradeA, items, day, day.Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	wantStatus(t, err, codes.ResourceExhausted, "FREQUENCY_CAP")
	// The refusals and the warning are in the log for the 司法局.
	events := w.mustCLI(w.admin, "-o", "json", "admin", "events", "list")
	var ev ruqiv1.ListEventsResponse
	mustUnmarshal(t, events, &ev)
	n := map[ruqiv1.EventType]int{}
	for _, e := range ev.GetEvents() {
		n[e.GetType()]++
		// Each refusal names the refused window's start, which places it in
		// the report's month (an auditor's trial, 2026-12-06).
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED && !strings.HasSuffix(e.GetDetail(), " window="+day.UTC().Format(time.RFC3339)) &&
			!strings.HasSuffix(e.GetDetail(), " window="+s.UTC().Format(time.RFC3339)) {
			t.Errorf("cap refusal %q does not name the refused window's start (%s or %s)", e.GetDetail(), s.UTC().Format(time.RFC3339), day.UTC().Format(time.RFC3339))
		}
	}
	if n[ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED] != 2 || n[ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING] < 1 {
		t.Fatalf("events by type: %v", n)
	}
}

// 64 officers of 9 agencies register at once for one enterprise, every window
// overlapping: one plan per agency is accepted, all in one joint inspection.
func TestJoint_ConcurrentRegistrations_OneJointInspection(t *testing.T) {
	concurrentRegistrations(t, newWorld(t))
}

func concurrentRegistrations(t *testing.T, w *world) {
	start := time.Now().Add(2 * time.Hour)
	const n = 64
	var wg sync.WaitGroup
	type result struct {
		resp *ruqiv1.RegisterInspectionResponse
		err  error
	}
	results := make([]result, n)
	agencies := w.f.covering(w.f.entA) // those whose territory holds entA
	for _, a := range agencies {
		w.officerToken(w.f.officersOf[a][0]) // issue tokens before the rush
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := agencies[i%len(agencies)]
			s := start.Add(time.Duration(i%5) * 15 * time.Minute)
			resp, err := w.registerAs(a, w.f.entA, w.f.itemsOf[a][:1], s, s.Add(3*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
			results[i] = result{resp, err}
		}(i)
	}
	wg.Wait()
	accepted := map[string]int{}
	joints := map[string]bool{}
	for i, r := range results {
		if r.err != nil {
			if status.Code(r.err) != codes.AlreadyExists {
				t.Fatalf("registration %d: %v", i, r.err)
			}
			continue
		}
		accepted[r.resp.GetInspection().GetAgencyId()]++
	}
	if len(accepted) != len(agencies) {
		t.Fatalf("accepted per agency: %v, want one for each of %d agencies", accepted, len(agencies))
	}
	for a, c := range accepted {
		if c != 1 {
			t.Fatalf("agency %s: %d overlapping plans accepted", a, c)
		}
	}
	// Every accepted plan now belongs to the same joint inspection.
	for _, r := range results {
		if r.err != nil {
			continue
		}
		got, err := ruqiv1.NewInspectionServiceClient(w.conn(w.admin)).GetInspection(context.Background(), &ruqiv1.GetInspectionRequest{InspectionId: r.resp.GetInspection().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		joints[got.GetInspection().GetJointInspectionId()] = true
	}
	if len(joints) != 1 || joints[""] {
		t.Fatalf("accepted plans are in joint inspections %v, want exactly one", joints)
	}
}

func (w *world) reportTotals() *ruqiv1.ReportTotals {
	w.t.Helper()
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(w.t, w.mustCLI(w.issueToken("supervisor", "510000"), "-o", "json", "supervisor", "report"), &rep)
	return rep.GetTotals()
}

func (w *world) cancelAs(agency, id string) *ruqiv1.CancelInspectionResponse {
	w.t.Helper()
	resp, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(w.f.officersOf[agency][0]))).CancelInspection(context.Background(),
		&ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "计划调整"})
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

// 8 retries of one request at once all get the first result, and the
// 司法局 counts one inspection and no refused duplicate. The same id for
// another enterprise is refused; another agency's id of the same text is
// its own.
func TestRegister_ConcurrentRetriesOfOneRequest_OneInspectionCountedOnce(t *testing.T) {
	w := newWorld(t)
	start := time.Now().Add(time.Hour)
	officers := w.f.officersOf["AG-07"]
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.f.entA, CheckItemIds: w.f.itemsOf["AG-07"][:1], OfficerIds: officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "重试测试", RequestId: "req-8-retries",
	}
	client := ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(officers[0])))
	const n = 8
	resps := make([]*ruqiv1.RegisterInspectionResponse, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resps[i], errs[i] = client.RegisterInspection(context.Background(), proto.Clone(req).(*ruqiv1.RegisterInspectionRequest))
		}(i)
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("retry %d: %v", i, errs[i])
		}
		if resps[i].GetInspection().GetId() != resps[0].GetInspection().GetId() || resps[i].GetCodes()[0].GetToken() != resps[0].GetCodes()[0].GetToken() {
			t.Fatalf("retry %d answered %s, retry 0 %s", i, resps[i].GetInspection().GetId(), resps[0].GetInspection().GetId())
		}
	}
	if tot := w.reportTotals(); tot.GetInspections() != 1 || tot.GetDuplicatesRefused() != 0 || tot.GetVisits() != 1 {
		t.Fatalf("report after 8 retries: %v, want one inspection, one visit, no duplicate", tot)
	}

	// The same id for another enterprise: refused, never answered with the
	// first enterprise's inspection.
	other := proto.Clone(req).(*ruqiv1.RegisterInspectionRequest)
	other.EnterpriseUscc = w.f.entB
	resp, err := client.RegisterInspection(context.Background(), other)
	wantStatus(t, err, codes.FailedPrecondition, "REQUEST_ID_REUSED")
	if resp != nil || !strings.Contains(status.Convert(err).Message(), "req-8-retries") {
		t.Fatalf("reused id: %v %v", resp, err)
	}
	// Another agency may use the same text for its own request.
	theirs := proto.Clone(req).(*ruqiv1.RegisterInspectionRequest)
	theirs.CheckItemIds, theirs.OfficerIds = w.f.itemsOf["AG-04"][:1], w.f.officersOf["AG-04"][:2]
	got, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officerToken(w.f.officersOf["AG-04"][0]))).RegisterInspection(context.Background(), theirs)
	if err != nil {
		t.Fatalf("another agency, same request id: %v", err)
	}
	if got.GetInspection().GetId() == resps[0].GetInspection().GetId() || got.GetJointInspection() == nil {
		t.Fatalf("another agency's request: %v, want its own plan joining the visit", got.GetInspection())
	}
	if tot := w.reportTotals(); tot.GetInspections() != 2 || tot.GetVisits() != 1 || tot.GetVisitsAvoided() != 1 {
		t.Fatalf("report: %v", tot)
	}
}

// The issue's case, end to end: A [0h,2h) and C [2h30,4h) are two visits;
// B [1h,3h) joins A only. Cancelling B leaves A and C alone and the
// 司法局's counts as before B; cancelling the holder of a joint visit hands
// the visit to the other plan, and the visit still counts once.
func TestJoint_CancelTheBridge_CountsRestored(t *testing.T) {
	w := newWorld(t)
	base := time.Now().Add(24 * time.Hour)
	items := func(a string) []string { return w.f.itemsOf[a][:1] }
	routine := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	must := func(r *ruqiv1.RegisterInspectionResponse, err error) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := must(w.registerAs("AG-07", w.f.entA, items("AG-07"), base, base.Add(2*time.Hour), routine))
	c := must(w.registerAs("AG-05", w.f.entA, items("AG-05"), base.Add(150*time.Minute), base.Add(4*time.Hour), routine))
	b := must(w.registerAs("AG-04", w.f.entA, items("AG-04"), base.Add(time.Hour), base.Add(3*time.Hour), routine))
	if j := b.GetJointInspection(); j == nil || len(j.GetInspectionIds()) != 2 || j.GetInspectionIds()[0] != a.GetInspection().GetId() {
		t.Fatalf("B joined %v, want A's visit only", j)
	}
	if tot := w.reportTotals(); tot.GetInspections() != 3 || tot.GetVisits() != 2 || tot.GetVisitsAvoided() != 1 {
		t.Fatalf("with B: %v, want 3 inspections, 2 visits, 1 avoided", tot)
	}
	if r := w.cancelAs("AG-04", b.GetInspection().GetId()); r.GetJointInspection() != nil {
		t.Fatalf("cancelling B: joint %v, want A alone", r.GetJointInspection())
	}
	for _, p := range []*ruqiv1.RegisterInspectionResponse{a, c} {
		got, err := ruqiv1.NewInspectionServiceClient(w.conn(w.admin)).GetInspection(context.Background(), &ruqiv1.GetInspectionRequest{InspectionId: p.GetInspection().GetId()})
		if err != nil || got.GetInspection().GetJointInspectionId() != "" {
			t.Fatalf("%s after B was cancelled: %v %v, want alone", p.GetInspection().GetId(), got.GetInspection(), err)
		}
	}
	if tot := w.reportTotals(); tot.GetInspections() != 2 || tot.GetVisits() != 2 || tot.GetVisitsAvoided() != 0 {
		t.Fatalf("after cancelling B: %v, want 2 inspections, 2 visits, none avoided", tot)
	}

	// D joins C; C, the holder, is cancelled: D is the visit now.
	d := must(w.registerAs("AG-06", w.f.entA, items("AG-06"), base.Add(150*time.Minute), base.Add(3*time.Hour), routine))
	if d.GetJointInspection() == nil {
		t.Fatal("D did not join C")
	}
	w.cancelAs("AG-05", c.GetInspection().GetId())
	if tot := w.reportTotals(); tot.GetInspections() != 2 || tot.GetVisits() != 2 || tot.GetVisitsAvoided() != 0 {
		t.Fatalf("after cancelling C: %v, want A's and D's visits, none avoided", tot)
	}
	got, _ := w.scan(w.entA, d.GetCodes()[0].GetToken())
	if v := got.GetInspection(); v.GetJointInspectionId() != "" || len(v.GetAgencies()) != 1 {
		t.Fatalf("D's view after C was cancelled: %v", v)
	}
}
