package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by an operator's trial (2026-12-06): an agency closed (办结) a visit
// early and registered a 复查 within what was left of its window. It was
// refused as a duplicate of the closed visit until the window ended (up to
// 168 h), and the cancellation the refusal advised was refused too
// (INSPECTION_HAPPENED); another agency's plan over the closed window
// joined the visit that was over. A closed visit is over now
// (coord.Plan.Closed): the 复查 registers, the other agency's plan is a
// visit of its own, and a visit that took place but is not closed is still
// a duplicate, the refusal saying how to go on.
//
// The service tells the coordinator after the close; where that fails
// (Redis unreachable at that moment) the store holds the line
// (inspection.CheckStillOpen): each case runs told and not told, in process
// and on Redis.
func TestClosedVisit_FollowUpRegisters_NothingJoinsIt(t *testing.T) {
	for _, tc := range []struct {
		name          string
		redis, told   bool
		followUpFirst bool // the 复查 is the first registration after the close
	}{
		{"Local", false, true, false}, {"Local_NotTold", false, false, false}, {"Local_NotTold_FollowUpFirst", false, false, true},
		{"Redis", true, true, false}, {"Redis_NotTold", true, false, false}, {"Redis_NotTold_FollowUpFirst", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var addr string
			if tc.redis { // a Redis of its own: the enterprise is the same in every case
				addr = redistest.Start(t).Addr()
			}
			a := newAnonEnvWith(t, func(seed coord.Seeder) (coord.Coordinator, error) {
				var c coord.Coordinator = local.New(seed)
				if tc.redis {
					var err error
					if c, err = coordredis.Dial(addr, seed); err != nil {
						return nil, err
					}
				}
				if !tc.told {
					c = deaf{c}
				}
				return c, nil
			})
			closedVisitFollowUp(t, a, tc.followUpFirst)
		})
	}
}

// deaf is a coordinator that cannot be told of a close: Redis was
// unreachable for that moment.
type deaf struct{ coord.Coordinator }

func (deaf) ClosePlan(context.Context, coord.Plan, time.Time) error { return coord.ErrUnavailable }

func closedVisitFollowUp(t *testing.T, a *anonEnv, followUpFirst bool) {
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	first := a.closedVisit(t, uscc, start) // AG-01, window start..start+2h, closed at start+1h
	ins := ruqiv1.NewInspectionServiceClient(a.cc)

	other := a.registrar(t, "AG-02")
	otherPlan := func() {
		t.Helper()
		b, err := ins.RegisterInspection(a.as(other.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: other.items[:1], OfficerIds: other.officers[:2],
			WindowStart: timestamppb.New(start.Add(65 * time.Minute)), WindowEnd: timestamppb.New(start.Add(100 * time.Minute)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatalf("AG-02's plan over AG-01's closed visit: %v", err)
		}
		if j := b.GetJointInspection(); j.GetId() != "" {
			t.Fatalf("AG-02's plan joined the closed visit %s: %v", first, j)
		}
	}
	if !followUpFirst {
		otherPlan()
	}
	followUp, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start.Add(101 * time.Minute)), WindowEnd: timestamppb.New(start.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-followup", Reason: "整改复查"})
	if err != nil {
		t.Fatalf("a 复查 within the window of closed visit %s: %v", first, err)
	}
	if followUpFirst {
		otherPlan()
	}

	// The 复查 took place (its code scanned) but is not closed: AG-01's
	// next plan over it is a duplicate, told to close the visit first.
	ent := a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	a.set(start.Add(105 * time.Minute))
	if _, err := ruqiv1.NewEnterpriseServiceClient(a.cc).ScanCode(a.as(ent), &ruqiv1.ScanCodeRequest{Code: followUp.GetCodes()[0].GetToken()}); err != nil {
		t.Fatal(err)
	}
	_, err = ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start.Add(150 * time.Minute)), WindowEnd: timestamppb.New(start.Add(4 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-again", Reason: "投诉举报"})
	if status.Code(err) != codes.AlreadyExists || reasonOf(err) != "DUPLICATE_PLAN" {
		t.Fatalf("a plan over the 复查 in progress: %v, want ALREADY_EXISTS DUPLICATE_PLAN", err)
	}
	msg := status.Convert(err).Message()
	id := followUp.GetInspection().GetId()
	if strings.Contains(msg, "撤销") || !strings.Contains(msg, "尚未办结") || !strings.Contains(msg, id) {
		t.Errorf("the refusal reads %q: want it to say %s took place, is not closed, and not to cancel it", msg, id)
	}
}
