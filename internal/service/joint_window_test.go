package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A plan that joins a joint visit later may narrow its common time, the
// window the enterprise is shown when it scans. The agencies registered
// before it read only their own plan's window (`officer show`): AG-02's
// officers would have come at 09:00 to a visit the enterprise was told
// begins at 10:00 (an officer's trial, 2026-12-06). GetInspection answers
// the joint visit as it stands, for each member's agency; an enterprise
// reads the visit through its own views and gets no plan list.
func TestGetInspection_JointVisitAsItStandsNow(t *testing.T) {
	e := newEnv(t, "")
	ag1, ag2, ag3 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-03")
	uscc := e.dir.GetEnterprises()[6].GetUscc() // in 锦江区 (510104), every agency's territory here
	day := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(r *registrar, from, to time.Duration) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(day.Add(from)), WindowEnd: timestamppb.New(day.Add(to)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := register(ag1, 0, 8*time.Hour)
	second := register(ag2, 0, 8*time.Hour)
	third := register(ag3, time.Hour, 3*time.Hour)
	if third.GetJointInspection() == nil || len(third.GetJointInspection().GetInspectionIds()) != 3 {
		t.Fatalf("the third plan did not join the visit: %v", third.GetJointInspection())
	}
	for _, tc := range []struct {
		r  *registrar
		id string
	}{{ag1, first.GetInspection().GetId()}, {ag2, second.GetInspection().GetId()}} {
		got, err := ins.GetInspection(e.as(tc.r.tok), &ruqiv1.GetInspectionRequest{InspectionId: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		j := got.GetJointInspection()
		if j == nil || !j.GetCommonStart().AsTime().Equal(day.Add(time.Hour)) || !j.GetCommonEnd().AsTime().Equal(day.Add(3*time.Hour)) || len(j.GetInspectionIds()) != 3 {
			t.Errorf("%s reads its plan %s with the joint visit %v; want the common time narrowed to %v–%v by the third plan", tc.r.agency, tc.id, j, day.Add(time.Hour), day.Add(3*time.Hour))
		}
	}
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	got, err := ins.GetInspection(e.as(ent), &ruqiv1.GetInspectionRequest{InspectionId: first.GetInspection().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetJointInspection() != nil {
		t.Errorf("the enterprise read the joint visit's plan list: %v", got.GetJointInspection())
	}
}

// The plan's own items come with GetInspection as the enterprise's
// checklist shows them, an item taken off the catalogue since the
// registration marked retired: it was marked for the enterprise only, and
// an officer reading `officer show` went on to inspect it (清单之外无检查; an
// officer's trial, 2026-12-06).
func TestGetInspection_ItemRetiredSinceTheRegistration_Marked(t *testing.T) {
	e := newEnv(t, "")
	ag := e.registrar(t, "AG-01")
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	from := time.Now().Add(2 * time.Hour)
	reg, err := ins.RegisterInspection(e.as(ag.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: e.dir.GetEnterprises()[6].GetUscc(), CheckItemIds: ag.items[:2], OfficerIds: ag.officers[:2],
		WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range e.dir.GetCheckItems() {
		if it.GetId() == ag.items[1] {
			retired := proto.Clone(it).(*ruqiv1.CheckItem)
			retired.Retired = true
			if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{CheckItems: []*ruqiv1.CheckItem{retired}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := ins.GetInspection(e.as(ag.tok), &ruqiv1.GetInspectionRequest{InspectionId: reg.GetInspection().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]bool{}
	for _, it := range got.GetCheckItems() {
		if it.GetName() == "" || it.GetLegalBasis() == nil {
			t.Errorf("item %s without its name or legal basis: %v", it.GetCheckItemId(), it)
		}
		marked[it.GetCheckItemId()] = it.GetRetired()
	}
	if len(marked) != 2 || marked[ag.items[0]] || !marked[ag.items[1]] {
		t.Errorf("the plan's items as read: %v; want %s retired, %s not", marked, ag.items[1], ag.items[0])
	}
}
