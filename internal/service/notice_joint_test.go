package service_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// noticeEnv is a server with a Merkle log and a clock the test moves.
func noticeEnv(t *testing.T) (*env, *atomic.Pointer[time.Time], func()) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return noticeEnvOn(t, st)
}

// noticeEnvOn is noticeEnv on a store the test also writes to.
func noticeEnvOn(t *testing.T, st store.Store) (*env, *atomic.Pointer[time.Time], func()) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.example/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Hour)
	clock := &atomic.Pointer[time.Time]{}
	clock.Store(&t0)
	e := newEnvOn(t, st, "", func(c *service.Config) {
		c.Now = func() time.Time { return *clock.Load() }
		c.Log = service.LogConfig{Log: l, Key: vkey}
	})
	integrate := func() {
		t.Helper()
		if _, err := e.svc.IntegrateLog(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return e, clock, integrate
}

// TestNotice_JointVisitHidesItsUnannouncedPlan: AG-02's 双随机 check of an
// enterprise, which is shown to it only once it begins (检查预告), and AG-01's
// routine check announced two days ahead, which joined it. Until the random
// check begins, nothing the enterprise reads tells of it: not the visit's
// lead, window, joint id or size (the joint id is named after the random
// check's id), not its receipts; and the enterprise cannot refuse, complain
// about or evaluate it by id. A code of it shown at the door may be refused.
// Once it begins, the joint visit is told in full.
func TestNotice_JointVisitHidesItsUnannouncedPlan(t *testing.T) {
	e, clock, integrate := noticeEnv(t)
	t0 := *clock.Load()
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	base := t0.Add(48 * time.Hour) // within a routine check's notice days
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	random, err := ins.RegisterInspection(e.as(a2.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a2.items[:1], OfficerIds: a2.officers[:2],
		WindowStart: timestamppb.New(base.Add(2 * time.Hour)), WindowEnd: timestamppb.New(base.Add(4 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, Reason: "双随机抽查"})
	if err != nil {
		t.Fatal(err)
	}
	routine, err := ins.RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(8 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	// A case check of another enterprise, to be read once it begins: its
	// trigger (a complaint's number) is not the enterprise's to read.
	uscc2 := e.dir.GetEnterprises()[2].GetUscc()
	caseCheck, err := ins.RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc2, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(base.Add(2 * time.Hour)), WindowEnd: timestamppb.New(base.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-2026-0107", Reason: "投诉举报"})
	if err != nil {
		t.Fatal(err)
	}
	jointID := routine.GetJointInspection().GetId()
	if jointID == "" {
		t.Fatal("the routine check did not join the random one")
	}
	hiddenID, routineID := random.GetInspection().GetId(), routine.GetInspection().GetId()
	suffix := hiddenID[strings.LastIndex(hiddenID, "-")+1:]
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	// leaks lists what of the random check a text tells.
	leaks := func(s string) []string {
		var out []string
		for _, w := range []string{"AG-02", suffix, jointID, "拼团", "MAT-"} {
			if strings.Contains(s, w) {
				out = append(out, w)
			}
		}
		return out
	}

	integrate()
	hist, err := cli.ListInspections(e.as(ent), &ruqiv1.ListInspectionsRequest{})
	if err != nil || len(hist.GetInspections()) != 1 {
		t.Fatalf("history: %v, %v; want the routine check alone", hist, err)
	}
	up, err := cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{})
	if err != nil || len(up.GetVisits()) != 1 {
		t.Fatalf("upcoming: %v, %v; want the routine check alone", up, err)
	}
	got, err := ins.GetInspection(e.as(ent), &ruqiv1.GetInspectionRequest{InspectionId: routineID})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ruqiv1.NewLogServiceClient(e.cc).ListReceipts(e.as(ent), &ruqiv1.ListReceiptsRequest{})
	if err != nil || len(rc.GetReceipts()) == 0 {
		t.Fatalf("receipts: %v, %v; want the routine check's", rc, err)
	}
	v := hist.GetInspections()[0]
	if v.GetLeadAgencyId() != "AG-01" || !v.GetWindowStart().AsTime().Equal(base) || !v.GetWindowEnd().AsTime().Equal(base.Add(8*time.Hour)) ||
		len(v.GetInspectionIds()) != 1 || len(v.GetAgencies()) != 1 {
		t.Errorf("history view before the random check: lead %s, window %v–%v, plans %v, agencies %d; want AG-01's plan as registered",
			v.GetLeadAgencyId(), v.GetWindowStart().AsTime().Sub(base), v.GetWindowEnd().AsTime().Sub(base), v.GetInspectionIds(), len(v.GetAgencies()))
	}
	for what, s := range map[string]string{
		"history":       v.String(),
		"upcoming":      up.String(),
		"GetInspection": got.String(),
		"receipts":      rc.String(),
	} {
		if w := leaks(s); len(w) > 0 {
			t.Errorf("%s tells of the random check before it begins: %v", what, w)
		}
	}
	// By id, the random check is not there for the enterprise.
	_, err = cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{InspectionId: hiddenID, Reason: "未预告"})
	wantCode(t, "refuse by id", err, codes.NotFound)
	_, err = cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{InspectionId: hiddenID, Description: "未预告"})
	wantCode(t, "complain by id", err, codes.NotFound)
	_, err = cli.EvaluateInspection(e.as(ent), &ruqiv1.EvaluateInspectionRequest{InspectionId: hiddenID, CertificateShown: true,
		RightsExplained: true, ConductedProperly: true, Overall: 5})
	wantCode(t, "evaluate by id", err, codes.NotFound)

	// It begins: the joint visit is told.
	begun := base.Add(2 * time.Hour)
	clock.Store(&begun)
	integrate()
	hist, err = cli.ListInspections(e.as(ent), &ruqiv1.ListInspectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var joint *ruqiv1.InspectionView
	for _, v := range hist.GetInspections() {
		if v.GetInspectionId() == routineID {
			joint = v
		}
	}
	if joint.GetJointInspectionId() != jointID || joint.GetLeadAgencyId() != "AG-02" || len(joint.GetInspectionIds()) != 2 ||
		!joint.GetWindowStart().AsTime().Equal(begun) {
		t.Errorf("once begun: joint %q lead %s plans %v window from %v; want %s, AG-02, both, the common time", joint.GetJointInspectionId(),
			joint.GetLeadAgencyId(), joint.GetInspectionIds(), joint.GetWindowStart().AsTime().Sub(base), jointID)
	}
	got, err = ins.GetInspection(e.as(ent), &ruqiv1.GetInspectionRequest{InspectionId: routineID})
	if err != nil || got.GetInspection().GetJointInspectionId() != jointID {
		t.Errorf("GetInspection once begun: %v, %v; want joint %s", got, err, jointID)
	}
	rc, err = ruqiv1.NewLogServiceClient(e.cc).ListReceipts(e.as(ent), &ruqiv1.ListReceiptsRequest{})
	if err != nil || !strings.Contains(rc.String(), jointID) {
		t.Errorf("receipts once begun: %v; want the merge into %s", err, jointID)
	}
	other, err := ins.GetInspection(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc2)), &ruqiv1.GetInspectionRequest{InspectionId: caseCheck.GetInspection().GetId()})
	if err != nil || other.GetInspection().GetReason() == "" || other.GetInspection().GetTriggerReference() != "" {
		t.Errorf("a case check read by its enterprise: %v, %v; want it without its trigger", other, err)
	}
	// A code of the random check shown at the door may be refused, even
	// ahead of its window (the officers are there).
	clock.Store(&t0)
	if _, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Code: random.GetCodes()[0].GetToken(), Reason: "未到检查时间"}); err != nil {
		t.Errorf("refusing a code shown at the door: %v", err)
	}
}

func wantCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if status.Code(err) != want {
		t.Errorf("%s: %v, want %s", what, err, want)
	}
}

// TestNotice_ReceiptsOfAJointVisitAnUnannouncedPlanLeft: AG-01's routine
// check, AG-02's 双随机 check joining it, AG-03's routine check joining
// them; the random check is then cancelled and leaves the visit, which is
// named after the first plan. AG-03's merged step says "members 3": it is
// withheld from the enterprise until the random check would have been
// shown, though the visit as it is now holds only shown plans. Found by a
// read-only review, 2026-12-03.
func TestNotice_ReceiptsOfAJointVisitAnUnannouncedPlanLeft(t *testing.T) {
	e, clock, integrate := noticeEnv(t)
	t0 := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	base := t0.Add(48 * time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(r *registrar, typ ruqiv1.InspectionType, from, to time.Duration) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(base.Add(from)), WindowEnd: timestamppb.New(base.Add(to)), Type: typ, Reason: "检查"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	a2 := e.registrar(t, "AG-02")
	register(e.registrar(t, "AG-01"), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0, 8*time.Hour)
	random := register(a2, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 2*time.Hour, 4*time.Hour)
	third := register(e.registrar(t, "AG-03"), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, time.Hour, 6*time.Hour)
	if third.GetJointInspection().GetId() == "" || random.GetJointInspection().GetId() != third.GetJointInspection().GetId() {
		t.Fatalf("the plans are not one visit: %v, %v", random.GetJointInspection(), third.GetJointInspection())
	}
	if _, err := ins.CancelInspection(e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: random.GetInspection().GetId(), Reason: "取消"}); err != nil {
		t.Fatal(err)
	}
	integrate()
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	merged := func() []string {
		t.Helper()
		rc, err := ruqiv1.NewLogServiceClient(e.cc).ListReceipts(e.as(ent), &ruqiv1.ListReceiptsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rc.GetReceipts() {
			if r.GetEvent().GetType() == ruqiv1.EventType_EVENT_TYPE_MERGED || r.GetEvent().GetType() == ruqiv1.EventType_EVENT_TYPE_WITHDRAWN {
				out = append(out, r.GetEvent().GetDetail())
			}
		}
		return out
	}
	if got := merged(); len(got) != 0 {
		t.Errorf("joint steps told before the random check would be shown: %q", got)
	}
	begun := base.Add(2 * time.Hour)
	clock.Store(&begun)
	if got := merged(); len(got) == 0 {
		t.Error("the joint steps are still withheld once the random check would be shown")
	}
}
