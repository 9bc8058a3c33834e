package service_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

const regionE1 = "91510104CY4C7RGWMR" // 510104 in the directory and in its USCC

// One officer checks in at E2 (510107) and then at E1 (510104) within half
// an hour: the 同时段两地签到 warning is E1's, and 510104's supervisor reads
// it without E2 or E2's inspection, which ListEvents keeps from that
// supervisor. The detail used to name both. (Found by a read-only review,
// 2026-12-03.)
func TestDoorWarning_Overlap_NamesNoEnterpriseOutsideTheRegion(t *testing.T) {
	f := newDoorFixture(t)
	const e2 = "915101070AL6JK1YWK" // 510107
	officers := f.r.officers[:2]
	regB := f.register(t, e2, f.t0, f.t0.Add(2*time.Hour), officers)
	regA := f.register(t, regionE1, f.t0, f.t0.Add(2*time.Hour), officers)
	scan := func(uscc string, reg *ruqiv1.RegisterInspectionResponse) {
		tok := f.e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		for _, c := range reg.GetCodes() {
			if c.GetOfficerId() == officers[0] {
				r, err := ruqiv1.NewEnterpriseServiceClient(f.e.cc).ScanCode(f.e.as(tok), &ruqiv1.ScanCodeRequest{Code: c.GetToken()})
				if err != nil || r.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
					t.Fatalf("scan at %s: %v %v", uscc, r.GetVerdict(), err)
				}
			}
		}
	}
	f.at(5 * time.Minute)
	scan(e2, regB)
	f.at(10 * time.Minute)
	scan(regionE1, regA)
	ev, err := ruqiv1.NewAdminServiceClient(f.e.cc).ListEvents(f.e.as(f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")), &ruqiv1.ListEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, x := range ev.GetEvents() {
		warned = warned || strings.Contains(x.GetDetail(), domain.WarnOverlappingCheckIns)
		if x.GetEnterpriseUscc() == e2 {
			t.Fatalf("510104 sees an event of %s itself: %v", e2, x)
		}
		if strings.Contains(x.GetDetail(), e2) || strings.Contains(x.GetDetail(), regB.GetInspection().GetId()) {
			t.Fatalf("510104's supervisor reads, in a %s event of %s, enterprise %s (510107) and its inspection: %q",
				x.GetType(), x.GetEnterpriseUscc(), e2, x.GetDetail())
		}
	}
	if !warned {
		t.Fatal("no overlap warning for 510104's supervisor: the test does not test")
	}
}

func regionEnv(t *testing.T) *env {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return newEnvOn(t, st, "")
}

// A city agency's unpublished plan listing E1 (510104) and E2 (510107) is
// filed with both districts' supervisors; 510104's reads E1 in it, not E2,
// a target of another district not yet public. It used to read the whole
// list. (Found by a read-only review, 2026-12-03.)
func TestPlan_OfTwoDistricts_EachSupervisorReadsItsOwn(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	const e2 = "915101070AL6JK1YWK"
	t0 := time.Now().Add(24 * time.Hour)
	filed, err := ruqiv1.NewPlanServiceClient(e.cc).FilePlan(e.as(r.tok), &ruqiv1.FilePlanRequest{Title: "日常检查", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{regionE1, e2}}, CheckItemIds: r.items[:1], Reason: "年度计划",
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ruqiv1.NewPlanServiceClient(e.cc).GetPlan(e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")), &ruqiv1.GetPlanRequest{PlanId: filed.GetPlan().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got.GetPlan().GetVersions() {
		for _, u := range v.GetScope().GetEnterpriseUsccs() {
			if u == e2 {
				t.Fatalf("510104's supervisor reads unpublished plan %s v%d (state %v) naming %s of 510107", got.GetPlan().GetId(), v.GetVersion(), v.GetState(), e2)
			}
		}
	}
	seen := false
	for _, v := range got.GetPlan().GetVersions() {
		for _, u := range v.GetScope().GetEnterpriseUsccs() {
			seen = seen || u == regionE1
		}
	}
	if !seen {
		t.Fatalf("510104's supervisor does not read its own enterprise %s in the plan", regionE1)
	}
	list, err := ruqiv1.NewPlanServiceClient(e.cc).ListPlans(e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")), &ruqiv1.ListPlansRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range list.GetPlans() {
		for _, v := range pl.GetVersions() {
			for _, u := range v.GetScope().GetEnterpriseUsccs() {
				if u == e2 {
					t.Fatalf("ListPlans gives 510104's supervisor %s of 510107", e2)
				}
			}
		}
	}
}

// moveEnterprise re-imports one enterprise with another division code (迁址):
// the directory is an upsert.
func (e *env) moveEnterprise(t *testing.T, uscc, region string) {
	t.Helper()
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetUscc() == uscc {
			moved := proto.Clone(ent).(*ruqiv1.Enterprise)
			moved.RegionCode = region
			if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{
				Directory: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{moved}}}); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no enterprise %s", uscc)
}

// A lead goes with its enterprise: after the enterprise moves out of 510104
// (a re-import with 510107), 510107's supervisor lists and handles its
// lead, and 510104's no longer does. The lead used to keep the region it
// was opened in. (Found by a read-only review, 2026-12-03.)
func TestLead_OfAMovedEnterprise_GoesWithIt(t *testing.T) {
	e := regionEnv(t)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	c, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "无码入企", OfficerClaimed: "张某"})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetLeadId()
	e.moveEnterprise(t, regionE1, "510107")
	old, now := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104"), e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")
	sup := ruqiv1.NewSupervisionServiceClient(e.cc)
	has := func(tok string) bool {
		l, err := sup.ListLeads(e.as(tok), &ruqiv1.ListLeadsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range l.GetLeads() {
			if x.GetId() == id {
				return true
			}
		}
		return false
	}
	var problems []string
	if has(old) {
		problems = append(problems, "510104 still lists the lead of an enterprise now in 510107")
	}
	if !has(now) {
		problems = append(problems, "510107 does not list the lead of its own enterprise")
	}
	if _, err := sup.UpdateLead(e.as(old), &ruqiv1.UpdateLeadRequest{LeadId: id, Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "核查"}); err == nil {
		problems = append(problems, "510104 moved the lead to CHECKING")
	}
	if len(problems) > 0 {
		t.Fatal(strings.Join(problems, "; "))
	}
	if _, err := sup.UpdateLead(e.as(now), &ruqiv1.UpdateLeadRequest{LeadId: id, Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "核查"}); err != nil {
		t.Fatalf("510107 moving the lead of its enterprise: %v", err)
	}
}
