package service_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type doorFixture struct {
	st    store.Store
	e     *env
	r     *registrar
	clock *atomic.Pointer[time.Time]
	t0    time.Time
}

func newDoorFixture(t *testing.T) *doorFixture {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Minute)
	clock := &atomic.Pointer[time.Time]{}
	clock.Store(&t0)
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	return &doorFixture{st: st, e: e, r: e.registrar(t, "AG-01"), clock: clock, t0: t0}
}

func (f *doorFixture) at(d time.Duration) { t := f.t0.Add(d); f.clock.Store(&t) }

func (f *doorFixture) register(t *testing.T, uscc string, start, end time.Time, officers []string) *ruqiv1.RegisterInspectionResponse {
	t.Helper()
	reg, err := ruqiv1.NewInspectionServiceClient(f.e.cc).RegisterInspection(f.e.as(f.r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: f.r.items[:1], OfficerIds: officers,
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-" + start.Format("150405") + uscc[:4], Reason: "审查"})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func (f *doorFixture) entCode(t *testing.T, uscc string) (string, *ruqiv1.EnterpriseCode) {
	t.Helper()
	tok := f.e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	c, err := ruqiv1.NewDoorServiceClient(f.e.cc).GetEnterpriseCode(f.e.as(tok), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return tok, c.GetCode()
}

// (These five were found by a read-only review, 2026-12-03; each failed
// before its fix.)
//
// An officer who recorded an arrival (scanned the enterprise code posted on
// its premises: proof of being there) cannot cancel the inspection, which
// would give back its quota and take it out of the counts: "a visit that
// took place cannot be cancelled". It could before.
func TestCancel_AfterAnArrival_Refused(t *testing.T) {
	f := newDoorFixture(t)
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	reg := f.register(t, uscc, f.t0, f.t0.Add(2*time.Hour), f.r.officers[:2])
	id := reg.GetInspection().GetId()
	_, ec := f.entCode(t, uscc)
	f.at(10 * time.Minute)
	if _, err := ruqiv1.NewDoorServiceClient(f.e.cc).RecordArrival(f.e.as(f.r.tok), &ruqiv1.RecordArrivalRequest{InspectionId: id, Code: ec.GetUrl()}); err != nil {
		t.Fatal(err)
	}
	f.at(90 * time.Minute)
	_, err := ruqiv1.NewInspectionServiceClient(f.e.cc).CancelInspection(f.e.as(f.r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "不去了"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("cancel after the officer's recorded arrival at the premises: %v, want FAILED_PRECONDITION INSPECTION_HAPPENED", err)
	}
}

// After RotateSigningKey (what an administrator does when a key may have
// leaked), a code signed with the retired key for a window the service never
// issued is not accepted: the scan holds a code to the window of the
// officer's code on record. It used to take the window from the code's own
// claims, so a leaked key minted a code valid on any day its holder liked.
func TestScan_ACodeNotOnRecord_IsUnknown(t *testing.T) {
	f := newDoorFixture(t)
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	reg := f.register(t, uscc, f.t0, f.t0.Add(2*time.Hour), f.r.officers[:2])
	genuine := reg.GetCodes()[0]
	claims, leaked := leakedKey(t, f, genuine)
	f.at(time.Hour)
	if _, err := ruqiv1.NewKeyServiceClient(f.e.cc).RotateSigningKey(f.e.as(f.e.admin), &ruqiv1.RotateSigningKeyRequest{}); err != nil {
		t.Fatal(err)
	}
	// Two days later, with the retired key: a code "issued" after the
	// retirement, for a window the inspection never had.
	f.at(48 * time.Hour)
	forged := claims
	forged.TokenID, _ = code.NewTokenID(f.t0.Add(48 * time.Hour))
	forged.IssuedAt = f.t0.Add(47 * time.Hour)
	forged.NotBefore, forged.Expiry = f.t0.Add(47*time.Hour), f.t0.Add(50*time.Hour)
	fmsg, err := code.Sign(leaked, forged)
	if err != nil {
		t.Fatal(err)
	}
	entTok := f.e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	resp, err := ruqiv1.NewEnterpriseServiceClient(f.e.cc).ScanCode(f.e.as(entTok), &ruqiv1.ScanCodeRequest{Code: code.EncodeToken(fmsg)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("code signed by the key retired at %s, claiming iat %s and a window (%s–%s) the stored inspection (%s–%s) never had: verdict %v %q",
			f.t0.Add(time.Hour).Format(time.DateTime), forged.IssuedAt.Format(time.DateTime), forged.NotBefore.Format(time.DateTime), forged.Expiry.Format(time.DateTime),
			reg.GetInspection().GetWindowStart().AsTime().Local().Format(time.DateTime), reg.GetInspection().GetWindowEnd().AsTime().Local().Format(time.DateTime),
			resp.GetVerdict(), resp.GetMessage())
	}
}

// leakedKey is what a holder of the key that signed genuine has: the code's
// claims, and the key as the store keeps it, to sign codes of its own.
func leakedKey(t *testing.T, f *doorFixture, genuine *ruqiv1.InspectionCode) (code.Claims, code.Key) {
	t.Helper()
	msg, err := code.DecodeToken(genuine.GetToken())
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := code.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	var key store.SigningKey
	if err := f.st.View(context.Background(), func(r store.Reader) error {
		keys, err := r.SigningKeys()
		for _, k := range keys {
			if k.ID == genuine.GetKeyId() {
				key = k
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(key.Seed)
	return claims, code.Key{ID: key.ID, Private: priv, Public: priv.Public().(ed25519.PublicKey), CreatedAt: key.CreatedAt}
}

// The same with the window on record: a code the leaked key minted for the
// inspection's own ids and window, with a cti of its own, is not the code
// issued, and does not scan valid (a review, 2026-12-06: only the ids and
// the window were compared). The genuine code still does.
func TestScan_AnotherCodeForTheWindowOnRecord_IsUnknown(t *testing.T) {
	f := newDoorFixture(t)
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	reg := f.register(t, uscc, f.t0, f.t0.Add(2*time.Hour), f.r.officers[:2])
	genuine := reg.GetCodes()[0]
	claims, leaked := leakedKey(t, f, genuine)
	forged := claims
	forged.TokenID, _ = code.NewTokenID(f.t0.Add(time.Minute))
	fmsg, err := code.Sign(leaked, forged)
	if err != nil {
		t.Fatal(err)
	}
	f.at(30 * time.Minute)
	entTok := f.e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	scan := func(token string) ruqiv1.Verdict {
		t.Helper()
		resp, err := ruqiv1.NewEnterpriseServiceClient(f.e.cc).ScanCode(f.e.as(entTok), &ruqiv1.ScanCodeRequest{Code: token})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetVerdict()
	}
	if v := scan(code.EncodeToken(fmsg)); v != ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION {
		t.Errorf("a second code for the ids and window on record, another cti: %v, want UNKNOWN_INSPECTION", v)
	}
	if v := scan(genuine.GetToken()); v != ruqiv1.Verdict_VERDICT_VALID {
		t.Errorf("the code issued: %v, want VALID", v)
	}
}

// An officer named in a registration who is not of the caller's agency is
// refused without the officer's name: another agency's staff list is not
// the caller's to read (ListOfficers denies it). The name used to be told.
func TestRegister_AnotherAgencysOfficer_NotNamed(t *testing.T) {
	f := newDoorFixture(t)
	var foreign *ruqiv1.Officer
	for _, o := range f.e.dir.GetOfficers() {
		if o.GetAgencyId() == "AG-02" {
			foreign = o
			break
		}
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(f.e.cc).ListOfficers(f.e.as(f.r.tok), &ruqiv1.ListOfficersRequest{AgencyId: "AG-02"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("ListOfficers of AG-02 as an AG-01 officer: %v, want PERMISSION_DENIED", err)
	}
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	_, err := ruqiv1.NewInspectionServiceClient(f.e.cc).RegisterInspection(f.e.as(f.r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: f.r.items[:1], OfficerIds: []string{f.r.officers[0], foreign.GetId()},
		WindowStart: timestamppb.New(f.t0.Add(time.Hour)), WindowEnd: timestamppb.New(f.t0.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-1", Reason: "审查"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("register with AG-02's officer: %v", err)
	}
	if strings.Contains(status.Convert(err).Message(), foreign.GetName()) {
		t.Fatalf("the refusal names AG-02's officer %s to an AG-01 officer: %q", foreign.GetId(), status.Convert(err).Message())
	}
}

// An officer moved to another agency (a directory import, same certificate)
// is not admitted at the door under the old agency's codes, nor may record
// an arrival for it: registration and results require the agency, and the
// door now does too.
func TestDoor_OfficerMovedToAnotherAgency_NotAdmitted(t *testing.T) {
	f := newDoorFixture(t)
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	reg := f.register(t, uscc, f.t0, f.t0.Add(2*time.Hour), f.r.officers[:2])
	moved := f.r.officers[1]
	var o *ruqiv1.Officer
	for _, x := range f.e.dir.GetOfficers() {
		if x.GetId() == moved {
			o = proto.Clone(x).(*ruqiv1.Officer)
		}
	}
	o.AgencyId = "AG-02"
	if _, err := ruqiv1.NewDirectoryServiceClient(f.e.cc).ImportDirectory(f.e.as(f.e.admin), &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{Officers: []*ruqiv1.Officer{o}}}); err != nil {
		t.Fatal(err)
	}
	var tok string
	for _, c := range reg.GetCodes() {
		if c.GetOfficerId() == moved {
			tok = c.GetToken()
		}
	}
	f.at(10 * time.Minute)
	entTok, ec := f.entCode(t, uscc)
	resp, err := ruqiv1.NewEnterpriseServiceClient(f.e.cc).ScanCode(f.e.as(entTok), &ruqiv1.ScanCodeRequest{Code: tok})
	if err != nil {
		t.Fatal(err)
	}
	arr, aerr := ruqiv1.NewDoorServiceClient(f.e.cc).RecordArrival(f.e.as(f.e.token(t, ruqiv1.Role_ROLE_OFFICER, moved)), &ruqiv1.RecordArrivalRequest{InspectionId: reg.GetInspection().GetId(), Code: ec.GetUrl()})
	if resp.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID {
		t.Errorf("code of %s (now of AG-02) for AG-01's inspection %s: %v %q; arrival: %v %v", moved, reg.GetInspection().GetId(), resp.GetVerdict(), resp.GetMessage(), arr.GetMessage(), aerr)
	}
}

// An officer whose certificate has been revoked (注销) cannot record an
// arrival, and so cannot complete 两码互核 with a check-in made a minute
// before the revocation.
func TestArrival_RevokedCertificate_Refused(t *testing.T) {
	f := newDoorFixture(t)
	uscc := f.e.dir.GetEnterprises()[2].GetUscc()
	reg := f.register(t, uscc, f.t0, f.t0.Add(2*time.Hour), f.r.officers[:2])
	off := f.r.officers[1]
	var tok string
	for _, c := range reg.GetCodes() {
		if c.GetOfficerId() == off {
			tok = c.GetToken()
		}
	}
	entTok, ec := f.entCode(t, uscc)
	f.at(10 * time.Minute)
	if r, err := ruqiv1.NewEnterpriseServiceClient(f.e.cc).ScanCode(f.e.as(entTok), &ruqiv1.ScanCodeRequest{Code: tok}); err != nil || r.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatal(r.GetVerdict(), err)
	}
	f.at(11 * time.Minute)
	if _, err := ruqiv1.NewDirectoryServiceClient(f.e.cc).SetCertificateStatus(f.e.as(f.e.admin), &ruqiv1.SetCertificateStatusRequest{
		OfficerId: off, Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "清理"}); err != nil {
		t.Fatal(err)
	}
	f.at(12 * time.Minute)
	arr, err := ruqiv1.NewDoorServiceClient(f.e.cc).RecordArrival(f.e.as(f.e.token(t, ruqiv1.Role_ROLE_OFFICER, off)), &ruqiv1.RecordArrivalRequest{InspectionId: reg.GetInspection().GetId(), Code: ec.GetUrl()})
	if err == nil {
		t.Fatalf("arrival of %s with a revoked certificate: accepted, mutual %v, %q", off, arr.GetMutual(), arr.GetMessage())
	}
}
