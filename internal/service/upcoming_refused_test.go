package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A visit the enterprise refused stays in its 检查预告 (the plan is still
// registered; the refusal is a lead) but says so: it was shown as 即将到来
// beside a history reading 企业已拒绝 (a trial as an enterprise,
// 2026-12-06). Another visit is not marked.
func TestUpcoming_RefusedVisit_MarkedRefused(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	a1 := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	var ids []string
	for i := range 2 {
		from := t0.Add(time.Duration(48+24*i) * time.Hour) // within a routine check's notice days
		ids = append(ids, routineCheck(t, e, a1, uscc, from, 2*time.Hour))
	}
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	if _, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{InspectionId: ids[0], Reason: "检查事项与本企业经营范围无关"}); err != nil {
		t.Fatal(err)
	}
	up, err := cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, v := range up.GetVisits() {
		states[v.GetInspectionId()] = domain.UpcomingState(v)
	}
	if states[ids[0]] != "企业已拒绝" || states[ids[1]] != "即将到来" {
		t.Errorf("upcoming visits read %v: want %s 企业已拒绝 and %s 即将到来", states, ids[0], ids[1])
	}

	// Another enterprise's notice is refused; a code that is no USCC is
	// said to be malformed, not another enterprise's.
	_, err = cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{EnterpriseUscc: e.dir.GetEnterprises()[2].GetUscc()})
	wantCode(t, "another enterprise's notice", err, codes.PermissionDenied)
	_, err = cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{EnterpriseUscc: "abc"})
	wantCode(t, "a malformed USCC", err, codes.InvalidArgument)
}

// A joint visit is marked refused whichever of its plans the enterprise
// refused: it was marked by the plan the list met first (a review,
// 2026-12-06).
func TestUpcoming_JointVisitRefusedThroughEitherPlan(t *testing.T) {
	for _, refuse := range []int{0, 1} {
		e, clock, _ := noticeEnv(t)
		t0 := *clock.Load()
		uscc := e.dir.GetEnterprises()[1].GetUscc()
		from := t0.Add(48 * time.Hour)
		var ids []string
		for _, agency := range []string{"AG-01", "AG-02"} {
			ids = append(ids, routineCheck(t, e, e.registrar(t, agency), uscc, from, 4*time.Hour))
		}
		ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
		// The plan whose id sorts first, then the other: one of them is not
		// the plan the list meets first.
		slices.Sort(ids)
		if _, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{InspectionId: ids[refuse], Reason: "未提前告知检查事项"}); err != nil {
			t.Fatal(err)
		}
		up, err := cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(up.GetVisits()) != 1 || domain.UpcomingState(up.GetVisits()[0]) != "企业已拒绝" {
			t.Errorf("the joint visit, plan %s refused: %v", ids[refuse], up.GetVisits())
		}
	}
}

// routineCheck registers r's routine check of uscc from from for d (shown in
// 检查预告 two days ahead) and answers its id.
func routineCheck(t *testing.T, e *env, r *registrar, uscc string, from time.Time, d time.Duration) string {
	t.Helper()
	resp, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(d)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetInspection().GetId()
}

// The officers of a visit the enterprise refused are told, each agency's:
// GetInspection said 已报备 and nothing more while the enterprise's
// history said 企业已拒绝 (an officer's trial, 2026-12-07). Another visit of
// the same agency is not marked.
func TestGetInspection_RefusedJointVisit_EachAgencysOfficersTold(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	from := t0.Add(48 * time.Hour)
	regs := map[string]*registrar{}
	var ids []string
	for _, agency := range []string{"AG-01", "AG-02"} {
		regs[agency] = e.registrar(t, agency)
		ids = append(ids, routineCheck(t, e, regs[agency], uscc, from, 4*time.Hour))
	}
	apart := routineCheck(t, e, regs["AG-01"], uscc, from.Add(72*time.Hour), 2*time.Hour)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{InspectionId: ids[1], Reason: "未提前告知检查事项"}); err != nil {
		t.Fatal(err)
	}
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	for i, agency := range []string{"AG-01", "AG-02"} {
		got, err := ins.GetInspection(e.as(regs[agency].tok), &ruqiv1.GetInspectionRequest{InspectionId: ids[i]})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetJointInspection() == nil || got.GetRefusedAt() == nil {
			t.Errorf("%s's officer reads its part of the refused joint visit without the refusal: joint %v, refused_at %v", agency, got.GetJointInspection() != nil, got.GetRefusedAt())
		}
	}
	got, err := ins.GetInspection(e.as(regs["AG-01"].tok), &ruqiv1.GetInspectionRequest{InspectionId: apart})
	if err != nil || got.GetRefusedAt() != nil {
		t.Errorf("another visit, not refused: refused_at %v, %v", got.GetRefusedAt(), err)
	}
}

// A refusal that names a code the service cannot read, or one not signed
// for the enterprise, is recorded as a refusal without a valid code, and
// the enterprise is told so: it read an ordinary "已记录拒绝检查" while only
// the 司法局's lead said the code had been left aside (an officer's trial,
// 2026-12-07).
func TestRefuse_UnreadableCode_EnterpriseTold(t *testing.T) {
	e, _, _ := noticeEnv(t)
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	resp, err := ruqiv1.NewEnterpriseServiceClient(e.cc).RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Code: "NONE", Reason: "未到检查时间", RequestId: "r-unreadable"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.GetMessage(), "出示的入企码无法识别，拒绝按未出示有效入企码记录") || resp.GetLeadId() == "" {
		t.Errorf("refusal with an unreadable code: %q, lead %q", resp.GetMessage(), resp.GetLeadId())
	}
}

// An agency that closed its part of a joint visit comes no more: it was
// listed in the visit's 检查预告, with its checks, as 即将到来 (a trial as an
// enterprise, 2026-12-07). The other agency and its check stay.
func TestUpcoming_JointVisit_ClosedPartNoLongerComing(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	from := t0.Add(48 * time.Hour)
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	first := routineCheck(t, e, a1, uscc, from, 4*time.Hour)
	routineCheck(t, e, a2, uscc, from, 4*time.Hour)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	agenciesOf := func() ([]string, []string) {
		t.Helper()
		up, err := cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{})
		if err != nil || len(up.GetVisits()) != 1 {
			t.Fatalf("upcoming: %v %v", up.GetVisits(), err)
		}
		var agencies, items []string
		for _, a := range up.GetVisits()[0].GetAgencies() {
			agencies = append(agencies, a.GetId())
		}
		for _, c := range up.GetVisits()[0].GetCheckItems() {
			items = append(items, c.GetCheckItemId())
		}
		return agencies, items
	}
	if agencies, _ := agenciesOf(); len(agencies) != 2 {
		t.Fatalf("the joint visit's agencies: %v", agencies)
	}
	in := from.Add(time.Hour)
	clock.Store(&in)
	if _, err := ruqiv1.NewInspectionServiceClient(e.cc).RecordResult(e.as(a1.tok), &ruqiv1.RecordResultRequest{InspectionId: first, Close: true,
		Items: []*ruqiv1.ItemResult{{CheckItemId: a1.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}}); err != nil {
		t.Fatal(err)
	}
	agencies, items := agenciesOf()
	if !slices.Equal(agencies, []string{"AG-02"}) || slices.Contains(items, a1.items[0]) || !slices.Contains(items, a2.items[0]) {
		t.Errorf("after AG-01 closed its part: agencies %v, checks %v; want AG-02 and its check %s only", agencies, items, a2.items[0])
	}
}
