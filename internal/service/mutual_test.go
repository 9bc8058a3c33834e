package service_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 两码互核 through the API, on the service's clock: an officer who arrived
// (scanned the enterprise code) 20 minutes before the enterprise scanned
// their code is APART under the default 15 minutes; one whose two scans are
// 5 minutes apart is VERIFIED, in either order; one who has only arrived is
// PENDING.
func TestMutualVerification_TooFarApart(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Minute)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	at := func(d time.Duration) { t := t0.Add(d); clock.Store(&t) }
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	r := e.registrar(t, "AG-01")
	if len(r.officers) < 3 {
		t.Fatalf("AG-01 has %d officers with valid certificates, want 3", len(r.officers))
	}
	uscc := e.dir.GetEnterprises()[2].GetUscc()
	reg, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:3],
		WindowStart: timestamppb.New(t0), WindowEnd: timestamppb.New(t0.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-7", Reason: "两码互核"})
	if err != nil {
		t.Fatal(err)
	}
	id := reg.GetInspection().GetId()
	codeOf := map[string]string{}
	for _, c := range reg.GetCodes() {
		codeOf[c.GetOfficerId()] = c.GetToken()
	}
	entTok := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	ent, err := ruqiv1.NewDoorServiceClient(e.cc).GetEnterpriseCode(e.as(entTok), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	arrive := func(officer string) ruqiv1.MutualVerification {
		t.Helper()
		resp, err := ruqiv1.NewDoorServiceClient(e.cc).RecordArrival(e.as(e.token(t, ruqiv1.Role_ROLE_OFFICER, officer)),
			&ruqiv1.RecordArrivalRequest{InspectionId: id, Code: ent.GetCode().GetUrl()})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetMutual()
	}
	scan := func(officer string) ruqiv1.MutualVerification {
		t.Helper()
		resp, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(entTok), &ruqiv1.ScanCodeRequest{Code: codeOf[officer]})
		if err != nil || resp.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
			t.Fatalf("scan of %s's code: %v, %v", officer, resp.GetVerdict(), err)
		}
		return resp.GetMutual()
	}
	apart, near, late := r.officers[0], r.officers[1], r.officers[2]
	at(5 * time.Minute)
	if m := arrive(apart); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING {
		t.Fatalf("arrival alone: %v, want PENDING", m)
	}
	at(25 * time.Minute)
	if m := scan(apart); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART {
		t.Fatalf("scanned 20 minutes after the arrival: %v, want APART", m)
	}
	if m := arrive(near); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING {
		t.Fatalf("second officer's arrival: %v, want PENDING", m)
	}
	at(30 * time.Minute)
	if m := scan(near); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED {
		t.Fatalf("scanned 5 minutes after the arrival: %v, want VERIFIED", m)
	}
	if m := scan(late); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING {
		t.Fatalf("scanned before arriving: %v, want PENDING", m)
	}
	at(40 * time.Minute)
	if m := arrive(late); m != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED {
		t.Fatalf("arrived 10 minutes after the scan: %v, want VERIFIED (either order)", m)
	}
}
