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
