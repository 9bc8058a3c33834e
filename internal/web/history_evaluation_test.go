package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 检查记录 told the enterprise of every visit not evaluated
// "未评价（办结后扫执法人员的入企码即可评价）", a cancelled one included, and
// showed a visit it had refused as 已报备 (a trial as a restaurant on a
// phone, 2026-12-07: the CLI's history said 企业已拒绝 and "-" for both). A
// cancelled visit has nothing to evaluate, and a refused one says so.
func TestHistory_CancelledAndRefusedVisits(t *testing.T) {
	f := newFixture(t)
	at := time.Now().Add(48 * time.Hour)
	reg, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(context.Background(), f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(at), WindowEnd: timestamppb.New(at.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "改期前的检查",
	})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := reg.GetInspection().GetId()
	if _, err := ruqiv1.NewInspectionServiceClient(f.api).CancelInspection(as(context.Background(), f.officer), &ruqiv1.CancelInspectionRequest{
		InspectionId: cancelled, Reason: "企业停业装修"}); err != nil {
		t.Fatal(err)
	}
	c := f.signInEnterprise(f.ent)
	f.refuseOnPage(c, "执法人员与入企码不符")
	refused := f.code.GetInspectionId()

	r := f.do("GET", "/history", nil, c)
	body := readBody(t, r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("/history: %d %s", r.StatusCode, visible(body))
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<div class="box visit" data-id="([^"]+)">(.*?)</div>`).FindAllStringSubmatch(body, -1) {
		rows[m[1]] = visible(m[2])
	}
	if row := rows[cancelled]; !strings.Contains(row, "已撤销") || strings.Contains(row, "即可评价") || strings.Contains(row, "未评价") {
		t.Errorf("the cancelled visit's row: %q, want 已撤销 and no call to evaluate", row)
	}
	if row := rows[refused]; !strings.Contains(row, "企业已拒绝") {
		t.Errorf("the refused visit's row: %q, want 企业已拒绝", row)
	}
}
