package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/web"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A special plan approved and not published within the region's days (10
// here, from the policy) is overdue: the 司法局 finds it with overdue_only;
// published after the deadline it is marked late, in the plan and in the
// log. The clock is the service's own, moved by the test.
func testPlanPublicationDeadline(t *testing.T, st store.Store) {
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, domain.Shanghai)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	set := func(t time.Time) { clock.Store(&t) }
	ten := 10
	pols, err := coord.NewPolicies(coord.PolicyFile{Regions: map[string]coord.PolicyConfig{"510100": {PlanPublishDays: &ten}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Policies: pols,
		Now: func() time.Time { return *clock.Load() }},
		func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	admin, _, _, _ := auth.NewToken()
	if err := svc.EnsureAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	as := pagingEnv{cc: cc}.as
	err = st.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutAgency(&ruqiv1.Agency{Id: "AG-01", Name: "市场监督管理局", RegionCode: "510104"}); err != nil {
			return err
		}
		if err := tx.PutAgency(&ruqiv1.Agency{Id: "AG-02", Name: "应急管理局", RegionCode: "510104"}); err != nil {
			return err
		}
		if err := tx.PutCheckItem(&ruqiv1.CheckItem{Id: "CI-2", AgencyId: "AG-02", Name: "安全生产检查"}); err != nil {
			return err
		}
		return tx.PutCheckItem(&ruqiv1.CheckItem{Id: "CI-1", AgencyId: "AG-01", Name: "食品经营许可"})
	})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(role ruqiv1.Role, subject string) string {
		resp, err := ruqiv1.NewAdminServiceClient(cc).IssueAccessToken(as(admin), &ruqiv1.IssueAccessTokenRequest{Role: role, Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetToken()
	}
	head, agencyAdmin, sup := issue(ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01"), issue(ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01"), issue(ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	plans := ruqiv1.NewPlanServiceClient(cc)

	filed, err := plans.FilePlan(as(agencyAdmin), &ruqiv1.FilePlanRequest{Title: "餐饮专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope: &ruqiv1.PlanScope{RegionCode: "510104", Industry: "餐饮"}, CheckItemIds: []string{"CI-1"},
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	if err != nil {
		t.Fatal(err)
	}
	id := filed.GetPlan().GetId()
	approved, err := plans.ApprovePlan(as(head), &ruqiv1.ApprovePlanRequest{PlanId: id, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if by := approved.GetPlan().GetVersions()[0].GetPublishBy().AsTime(); !by.Equal(t0.AddDate(0, 0, 10)) {
		t.Fatalf("publish_by = %v, want 10 days after approval (%v)", by, t0.AddDate(0, 0, 10))
	}
	overdue := func() []string {
		t.Helper()
		resp, err := plans.ListPlans(as(sup), &ruqiv1.ListPlansRequest{OverdueOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range resp.GetPlans() {
			ids = append(ids, p.GetId())
		}
		return ids
	}
	set(t0.AddDate(0, 0, 10))
	if got := overdue(); len(got) != 0 {
		t.Fatalf("on the 10th day the plan is not overdue yet: %v", got)
	}
	set(t0.AddDate(0, 0, 10).Add(time.Minute))
	if got := overdue(); len(got) != 1 || got[0] != id {
		t.Fatalf("after the 10th day the 司法局 sees the plan overdue: %v", got)
	}
	pub, err := plans.PublishPlan(as(agencyAdmin), &ruqiv1.PublishPlanRequest{PlanId: id})
	if err != nil {
		t.Fatal(err)
	}
	if !pub.GetPlan().GetVersions()[0].GetPublishedLate() || pub.GetPlan().GetOverdue() {
		t.Fatalf("published late: %v", pub.GetPlan().GetVersions()[0])
	}
	if got := overdue(); len(got) != 0 {
		t.Fatalf("a published plan is not overdue: %v", got)
	}
	// A routine plan needs no approval and has no deadline: published on
	// time. The report's figures, with their known answers: two filed, one
	// approved, two published, one of them late.
	routineReq := &ruqiv1.FilePlanRequest{Title: "日常检查", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		Scope: &ruqiv1.PlanScope{RegionCode: "510104"}, CheckItemIds: []string{"CI-1"},
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0)), RequestId: "plan-request-1"}
	routine, err := plans.FilePlan(as(agencyAdmin), routineReq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.PublishPlan(as(agencyAdmin), &ruqiv1.PublishPlanRequest{PlanId: routine.GetPlan().GetId()}); err != nil {
		t.Fatal(err)
	}
	// A retry of each publication (its answer lost) is answered with the
	// plan as it is, said to be published before; the report and the log
	// below count each once.
	for _, p := range []string{id, routine.GetPlan().GetId()} {
		again, err := plans.PublishPlan(as(agencyAdmin), &ruqiv1.PublishPlanRequest{PlanId: p})
		if err != nil || !again.GetAlreadyPublished() || again.GetPlan().GetVersions()[0].GetPublishedAt() == nil {
			t.Fatalf("publishing %s again = %v, %v; want the plan, already published", p, again, err)
		}
	}
	// A retry of the filing (the answer was lost) returns the plan it
	// filed, as it is now, and files nothing: the report and the log below
	// count it once. The id used again for another plan is refused.
	again, err := plans.FilePlan(as(agencyAdmin), routineReq)
	if err != nil || again.GetPlan().GetId() != routine.GetPlan().GetId() || again.GetPlan().GetVersions()[0].GetPublishedAt() == nil {
		t.Fatalf("retried filing = %v, %v; want plan %s, published", again.GetPlan(), err, routine.GetPlan().GetId())
	}
	other := proto.CloneOf(routineReq)
	other.Title = "另一个日常检查"
	if _, err := plans.FilePlan(as(agencyAdmin), other); status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "plan-request-1") {
		t.Fatalf("request id reused for another plan: %v; want FailedPrecondition naming the id", err)
	}
	rep, err := ruqiv1.NewReportServiceClient(cc).GetFrequencyReport(as(sup), &ruqiv1.GetFrequencyReportRequest{FromMonth: "2026-12", ToMonth: "2026-12"})
	if err != nil {
		t.Fatal(err)
	}
	if tot := rep.GetTotals(); tot.GetPlansFiled() != 2 || tot.GetPlansApproved() != 1 || tot.GetPlansPublished() != 2 || tot.GetPlansPublishedLate() != 1 {
		t.Fatalf("report: filed %d approved %d published %d late %d; want 2 1 2 1", tot.GetPlansFiled(), tot.GetPlansApproved(), tot.GetPlansPublished(), tot.GetPlansPublishedLate())
	}
	if err := st.WaitSequenced(ctx); err != nil {
		t.Fatal(err)
	}
	events, err := ruqiv1.NewAdminServiceClient(cc).ListEvents(as(admin), &ruqiv1.ListEventsRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range events.GetEvents() {
		if strings.HasPrefix(e.GetType().String(), "EVENT_TYPE_PLAN_") {
			steps = append(steps, strings.TrimPrefix(e.GetType().String(), "EVENT_TYPE_")+" "+e.GetDetail()+" "+e.GetActor())
		}
	}
	rid := routine.GetPlan().GetId()
	want := []string{"PLAN_FILED " + id + " v1 agency_admin:AG-01", "PLAN_APPROVED " + id + " v1 agency_head:AG-01", "PLAN_PUBLISHED " + id + " v1 late agency_admin:AG-01",
		"PLAN_FILED " + rid + " v1 agency_admin:AG-01", "PLAN_PUBLISHED " + rid + " v1 agency_admin:AG-01"}
	if strings.Join(steps, "|") != strings.Join(want, "|") {
		t.Fatalf("plan events:\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	// Request ids are the agency's own: another agency's same id files its
	// own plan, and is not told of AG-01's.
	theirs := proto.CloneOf(routineReq)
	theirs.CheckItemIds = []string{"CI-2"}
	ag2, err := plans.FilePlan(as(issue(ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-02")), theirs)
	if err != nil || ag2.GetPlan().GetId() == routine.GetPlan().GetId() || ag2.GetPlan().GetAgencyId() != "AG-02" {
		t.Fatalf("AG-02 filing with AG-01's request id: %v, %v; want a plan of its own", ag2.GetPlan(), err)
	}
}

func TestPlanPublicationDeadline_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testPlanPublicationDeadline(t, st)
}

func TestPlanPublicationDeadline_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testPlanPublicationDeadline(t, st)
}
