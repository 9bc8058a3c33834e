package service_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局's trial (2026-12-06): 锦江区应急管理局 (AG-03, division
// 510104) registered, and got codes for, an inspection of an enterprise in
// another district of 成都; nothing held an agency to its territory
// (属地管辖). A district's agency now inspects its district only, a city's
// every district of the city.
func TestRegister_OutsideTheAgencysTerritory_Refused(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	county := e.registrar(t, "AG-03")
	city := e.registrar(t, "AG-01")
	var inside, outside string
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetRegionCode() == "510104" && inside == "":
			inside = ent.GetUscc()
		case ent.GetRegionCode() != "510104" && strings.HasPrefix(ent.GetRegionCode(), "5101") && outside == "":
			outside = ent.GetUscc()
		}
	}
	if inside == "" || outside == "" {
		t.Fatal("the sample directory has no enterprise in 锦江区 and one elsewhere in 成都")
	}
	start := time.Now().Add(time.Hour)
	_, err = county.register(outside, start)
	if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency registering an enterprise of another district: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, outside) || !strings.Contains(msg, "510104") {
		t.Errorf("the refusal reads %q: want it to name the enterprise and the agency's division", msg)
	}
	if _, err := county.register(inside, start); err != nil {
		t.Fatalf("锦江区's agency registering an enterprise of 锦江区: %v", err)
	}
	if _, err := city.register(outside, start.Add(time.Hour)); err != nil {
		t.Fatalf("成都's agency registering an enterprise of one of its districts: %v", err)
	}

	// What an accepted 拼团 proposal would register is refused as it is
	// filed, and a 双随机 draw beyond the territory as it is made.
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	cover := func(usccs ...string) error {
		_, err := mcli.SubmitPlanCoverage(e.as(county.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(start), PeriodEnd: timestamppb.New(start.Add(240 * time.Hour)),
			CheckItemIds: county.items[:1], EnterpriseUsccs: usccs}})
		return err
	}
	if err := cover(inside, outside); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency filing a plan of an enterprise elsewhere for matching: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if err := cover(inside); err != nil {
		t.Fatalf("锦江区's agency filing a plan of its district for matching: %v", err)
	}
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")
	draw := func(region string) error {
		_, err := ruqiv1.NewDrawServiceClient(e.cc).CommitDraw(e.as(head), &ruqiv1.CommitDrawRequest{Title: "12月双随机",
			EnterpriseFilter: &ruqiv1.EnterpriseFilter{RegionCode: region}, EnterpriseCount: 1, OfficerPopulation: county.officers[:2], OfficerCount: 2})
		return err
	}
	if err := draw("510100"); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency drawing from the whole city: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if err := draw("510104"); err != nil {
		t.Fatalf("锦江区's agency drawing from its district: %v", err)
	}
}

// Found by a red-team trial (2026-12-06): an officer of 锦江区应急管理局
// (AG-03, 510104) read, with `ruqi officer prior`, the results another
// agency recorded at an enterprise of 武侯区 (510107), which AG-03 may
// neither register, plan nor draw. Earlier results are read for the
// agency's own visit (首违不罚); an enterprise outside its territory gets
// none from it, so its results are not the agency's to read.
func TestPriorResults_OutsideTheAgencysTerritory_Refused(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	city := e.registrar(t, "AG-01")
	var inside, outside string
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetRegionCode() == "510104" && inside == "":
			inside = ent.GetUscc()
		case ent.GetRegionCode() != "510104" && strings.HasPrefix(ent.GetRegionCode(), "5101") && outside == "":
			outside = ent.GetUscc()
		}
	}
	start := time.Now().Add(-time.Minute)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	for _, uscc := range []string{inside, outside} {
		reg, err := ins.RegisterInspection(e.as(city.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: city.items[:1], OfficerIds: city.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查", LateReason: "补录"})
		if err != nil {
			t.Fatalf("成都's agency registering %s: %v", uscc, err)
		}
		if _, err := ins.RecordResult(e.as(city.tok), &ruqiv1.RecordResultRequest{InspectionId: reg.GetInspection().GetId(),
			Items: []*ruqiv1.ItemResult{{CheckItemId: city.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}, Close: true}); err != nil {
			t.Fatalf("recording the result at %s: %v", uscc, err)
		}
	}
	county := e.registrar(t, "AG-03")
	countyAdmin := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")
	for who, tok := range map[string]string{"officer": county.tok, "agency administrator": countyAdmin} {
		got, err := ins.ListPriorResults(e.as(tok), &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: outside})
		if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
			t.Errorf("锦江区's %s reading the results at an enterprise of another district: %d results, %v; want PERMISSION_DENIED OUTSIDE_JURISDICTION", who, len(got.GetResults()), err)
		}
		if got, err := ins.ListPriorResults(e.as(tok), &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: inside}); err != nil || len(got.GetResults()) != 1 {
			t.Errorf("锦江区's %s reading the results at an enterprise of 锦江区: %d results, %v; want the city agency's one", who, len(got.GetResults()), err)
		}
	}
	if got, err := ins.ListPriorResults(e.as(city.tok), &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: outside}); err != nil || len(got.GetResults()) != 1 {
		t.Errorf("成都's agency reading the results at an enterprise of one of its districts: %d results, %v", len(got.GetResults()), err)
	}
}
