package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// DOMAIN: 成都 warns when the same officer finds nothing three times in a
// row at one enterprise within a year, and "blocks the next check until a
// reason is given". The warning was there; the next check went through
// without a word. Now the officers' next registration of that enterprise
// is refused (NO_FINDING_STREAK, naming them) until it gives a reason, which
// is kept on the inspection and in its registration event; the one after it
// is not held again, nor is another officer, nor a late record (which does
// not release the hold either).
func TestNoFindingStreak_NextCheckHeldUntilAReason(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	held := a.off.officers[:2]
	for i := range 3 { // three visits, each closed with "no problem" found
		closed := a.closeVisit(t, uscc, start.Add(time.Duration(i)*3*time.Hour))
		// The close that completes the streak tells the officers so,
		// before they plan the next visit; the ones before it do not.
		want := []string(nil)
		if i == 2 {
			want = held
		}
		if got := closed.GetStreakHeldOfficerIds(); !slices.Equal(got, want) {
			t.Errorf("close %d tells of held officers %v, want %v", i+1, got, want)
		}
	}
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	next := start.Add(10 * time.Hour)
	register := func(officers []string, from time.Time, streakReason, lateReason string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: officers,
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-next", Reason: "投诉举报",
			StreakReason: streakReason, LateReason: lateReason})
	}
	_, err := register(held, next, "", "")
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "NO_FINDING_STREAK" {
		t.Fatalf("the fourth check by the same officers: %v, want FAILED_PRECONDITION NO_FINDING_STREAK", err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, held[0]) || !strings.Contains(msg, held[1]) || !strings.Contains(msg, "理由") {
		t.Errorf("the refusal reads %q: want it to name both officers and ask for a reason", msg)
	}
	// Other officers of the agency are not held.
	if len(a.off.officers) < 4 {
		t.Fatal("AG-01 has fewer than four officers in the sample")
	}
	if _, err := register(a.off.officers[2:4], next.Add(2*time.Hour), "", ""); err != nil {
		t.Fatalf("other officers' check of the enterprise: %v", err)
	}

	// A late record of an emergency those officers handled is not held
	// (it took place), and does not release the hold.
	if _, err := register(held, start.Add(5*time.Hour), "", "夜间燃气泄漏，先处置后补录"); err != nil {
		t.Fatalf("a late record by the held officers: %v", err)
	}
	if _, err := register(held, next, "", ""); reasonOf(err) != "NO_FINDING_STREAK" {
		t.Fatalf("after a late record, the next check: %v, want still NO_FINDING_STREAK", err)
	}

	const why = "新收到投诉举报，反映夜间违规经营"
	resp, err := register(held, next, why, "")
	if err != nil {
		t.Fatalf("with a reason: %v", err)
	}
	if got := resp.GetInspection().GetStreakReason(); got != why {
		t.Errorf("the inspection keeps the reason %q, want %q", got, why)
	}
	// The reason is on record: in the registration's event.
	onRecord := false
	err = a.gate.View(context.Background(), func(r store.Reader) error {
		return r.Events(0, func(e *ruqiv1.Event) error {
			onRecord = onRecord || (e.GetType() == ruqiv1.EventType_EVENT_TYPE_REGISTERED && e.GetInspectionId() == resp.GetInspection().GetId() && strings.Contains(e.GetDetail(), why))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !onRecord {
		t.Errorf("the registration event of %s does not carry the reason", resp.GetInspection().GetId())
	}

	// The reason released the hold: the check after it is not held.
	if _, err := register(held, next.Add(4*time.Hour), "", ""); err != nil {
		t.Fatalf("the check after the one with a reason: %v", err)
	}
}

// A retried registration with the request id of one that gave a reason
// answers it only when it gives the same reason: the reason is on record,
// and a retry saying another would be answered with words it did not send.
// A reason given for officers not held is dropped, so a retry of such a
// registration is the same request with or without it.
func TestNoFindingStreak_ReasonIsPartOfTheRequest(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	for i := range 3 {
		a.closedVisit(t, uscc, start.Add(time.Duration(i)*3*time.Hour))
	}
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	register := func(officers []string, from time.Time, requestID, streakReason string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: officers, RequestId: requestID,
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-next", Reason: "投诉举报",
			StreakReason: streakReason})
	}
	next := start.Add(10 * time.Hour)
	first, err := register(a.off.officers[:2], next, "req-streak-1", "新收到投诉举报")
	if err != nil {
		t.Fatal(err)
	}
	again, err := register(a.off.officers[:2], next, "req-streak-1", "新收到投诉举报")
	if err != nil || again.GetInspection().GetId() != first.GetInspection().GetId() {
		t.Fatalf("the same request again: %v, %v; want the first registration %s", again.GetInspection().GetId(), err, first.GetInspection().GetId())
	}
	if _, err := register(a.off.officers[:2], next, "req-streak-1", "另一个理由"); reasonOf(err) != "REQUEST_ID_REUSED" {
		t.Fatalf("the request id again with another reason: %v, want REQUEST_ID_REUSED", err)
	}

	// Officers not held: the reason is dropped, and a retry with or
	// without it is the same request.
	other := a.off.officers[2:4]
	free, err := register(other, next.Add(3*time.Hour), "req-streak-2", "多余的理由")
	if err != nil {
		t.Fatal(err)
	}
	for _, why := range []string{"多余的理由", ""} {
		again, err := register(other, next.Add(3*time.Hour), "req-streak-2", why)
		if err != nil || again.GetInspection().GetId() != free.GetInspection().GetId() {
			t.Fatalf("a retry of a registration holding nobody, reason %q: %v, %v; want %s", why, again.GetInspection().GetId(), err, free.GetInspection().GetId())
		}
	}
}
