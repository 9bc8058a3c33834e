package service_test

import (
	"slices"
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
