package service_test

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of the closed-visit / jurisdiction change (2026-12-06):
// a 双随机 draw whose range lies outside the agency's territory is refused
// (属地管辖, what it drew could not be registered), but the same draw made
// with an explicit list of enterprises (enterprise_population) was
// committed as it was: 锦江区's agency drew, and published in the log, picks
// of enterprises of another district that it may not inspect, so the
// random sample it committed to could never be carried out.
func TestDraw_ExplicitListOutsideTheTerritory_Refused(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	county := e.registrar(t, "AG-03") // 锦江区, 510104
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
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")
	draw := func(usccs ...string) error {
		_, err := ruqiv1.NewDrawServiceClient(e.cc).CommitDraw(e.as(head), &ruqiv1.CommitDrawRequest{Title: "12月双随机",
			EnterprisePopulation: usccs, EnterpriseCount: 1, OfficerPopulation: county.officers[:2], OfficerCount: 2})
		return err
	}
	if err := draw(inside, outside); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency drawing from a list naming an enterprise of another district: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if err := draw(inside); err != nil {
		t.Fatalf("锦江区's agency drawing from a list of its district: %v", err)
	}
}
