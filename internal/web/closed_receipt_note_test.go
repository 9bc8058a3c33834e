package web

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A closed visit's code of an officer who never checked in, read by the
// enterprise (the officer who did still gets the receipt): the page said 存证生成中：签到已记录 (a walk through a joint
// visit, 2026-12-07: the code of the agency that closed its part, whose
// officers the enterprise had not scanned). What was on its way to the log
// was the reading itself, a failed scan, not a check-in; and each reading
// wrote another, so the note never went.
func TestClosedCode_NeverCheckedIn_NoCheckInReceiptOnItsWay(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, service.Config{Limits: domain.DefaultLimits(), PublicURL: "http://ruqi.test",
		Log: service.LogConfig{Log: l, Key: vkey}},
		func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	admin, _, _, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	api, stop, err := InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	f := &fixture{t: t, api: api, admin: admin}
	f.cfg = Config{Keys: svc.PublicKeys, API: api, ClockLeeway: 2 * time.Minute}
	f.h = Handler(f.cfg)
	dir := &ruqiv1.Directory{
		Agencies: []*ruqiv1.Agency{{Id: "AG-01", Name: "成都市市场监督管理局", RegionCode: "510100", Level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY}},
		Officers: []*ruqiv1.Officer{
			{Id: "O-0001", Name: "沈勇", AgencyId: "AG-01", CertificateNumber: "51010020180001", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValidUntil: timestamppb.New(time.Now().AddDate(2, 0, 0))},
			{Id: "O-0010", Name: "董鑫艳", AgencyId: "AG-01", CertificateNumber: "51010020230001", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValidUntil: timestamppb.New(time.Now().AddDate(2, 0, 0))},
		},
		Enterprises: []*ruqiv1.Enterprise{{Uscc: "91510104CY4C7RGWMR", Name: "成都锦江区博兴餐饮有限公司（样例）", RegionCode: "510104", CreditGrade: ruqiv1.CreditGrade_CREDIT_GRADE_B}},
		CheckItems: []*ruqiv1.CheckItem{{Id: "CI-0001", AgencyId: "AG-01", Name: "食品经营许可证公示及持证经营情况检查",
			LegalBasis: &ruqiv1.LegalBasis{Law: "《中华人民共和国食品安全法》", Article: "第三十五条"}, Domain: "食品安全"}},
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(api).ImportDirectory(as(ctx, admin), &ruqiv1.ImportDirectoryRequest{Directory: dir}); err != nil {
		t.Fatal(err)
	}
	f.entUSCC = "91510104CY4C7RGWMR"
	f.ent = f.issue(ruqiv1.Role_ROLE_ENTERPRISE, f.entUSCC)
	f.officer = f.issue(ruqiv1.Role_ROLE_OFFICER, "O-0001")
	ins := ruqiv1.NewInspectionServiceClient(api)
	now := time.Now()
	reg, err := ins.RegisterInspection(as(ctx, f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	// O-0010 checked in; O-0001 did not.
	if _, err := ruqiv1.NewEnterpriseServiceClient(api).ScanCode(as(ctx, f.ent), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[1].GetToken()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ins.RecordResult(as(ctx, f.officer), &ruqiv1.RecordResultRequest{InspectionId: reg.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{
		{CheckItemId: "CI-0001", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}, Close: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IntegrateLog(ctx); err != nil {
		t.Fatal(err)
	}
	sess := f.signInEnterprise(f.ent)
	for i := range 2 {
		page := visible(readBody(t, f.do("GET", path(reg.GetCodes()[0].GetUrl()), nil, sess)))
		if !strings.Contains(page, "检查已办结") {
			t.Fatalf("not the closed visit's page: %s", page)
		}
		if strings.Contains(page, "签到已记录") {
			t.Errorf("reading %d: a code never checked in is said to have a check-in on its way to the log:\n%s", i+1, page)
		}
	}
	// The officer who checked in: the receipt is offered still.
	page := visible(readBody(t, f.do("GET", path(reg.GetCodes()[1].GetUrl()), nil, sess)))
	if !strings.Contains(page, "已存证：本次签到是可验证日志中的第") {
		t.Errorf("the closed visit's code of the officer who checked in offers no receipt:\n%s", page)
	}
}
