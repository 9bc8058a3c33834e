package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial of the dashboard (2026-12-06): 频次预警, 重复报备 and the
// other warnings were counts that named no enterprise, and the only way to
// find one was paging the whole event log. The dashboard lists the
// region's latest warnings, each naming its enterprise and inspection, in
// words.
func TestDashboard_ListsTheLatestWarnings_NamingTheEnterprise(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	_, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(context.Background(), f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(now.Add(time.Hour)), WindowEnd: timestamppb.New(now.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "又一次日常检查",
	})
	if err == nil {
		t.Fatal("a second plan of AG-01 overlapping its first was registered, want it refused as a duplicate")
	}
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	page := readBody(t, f.do("GET", "/dashboard", nil, sc))
	_, list, ok := strings.Cut(page, `id="warning-list"`)
	if !ok {
		t.Fatalf("no warning list on the dashboard: %s", visible(page))
	}
	list, _, _ = strings.Cut(list, "</table>")
	ent, err := ruqiv1.NewDirectoryServiceClient(f.api).GetEnterprise(as(context.Background(), f.sup), &ruqiv1.GetEnterpriseRequest{Uscc: f.entUSCC})
	if err != nil {
		t.Fatal(err)
	}
	// By its name too: the USCC alone named it for nobody (a trial of the
	// pages, 2026-12-07).
	for _, want := range []string{ent.GetEnterprise().GetName(), f.entUSCC, "同一部门重复报备", "报备被拒绝"} {
		if !strings.Contains(list, want) {
			t.Errorf("the warning list does not say %q:\n%s", want, visible(list))
		}
	}
}
