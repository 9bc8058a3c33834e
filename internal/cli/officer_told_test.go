package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// What an officer was not told (an officer's trial, 2026-12-07): that the
// enterprise refused the visit (officer show), and that the codes of a plan
// merged into a joint visit hold for the agency's window while the visit is
// at the common time (officer code).
func TestTablePrinter_OfficerToldOfRefusalAndCommonTime(t *testing.T) {
	at := time.Date(2026, 12, 8, 1, 30, 0, 0, time.UTC)
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.Inspection(&ruqiv1.GetInspectionResponse{Inspection: &ruqiv1.Inspection{Id: "INS-1", State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED},
		RefusedAt: timestamppb.New(at)})
	if want := "注意：企业已于 2026-12-08 09:30 拒绝这次检查"; !strings.Contains(out.String(), want) {
		t.Errorf("officer show of a refused visit:\n%s\nwant %q", out.String(), want)
	}

	out.Reset()
	code := &ruqiv1.InspectionCode{OfficerId: "O-0001", NotBefore: timestamppb.New(at), ExpiresAt: timestamppb.New(at.Add(3 * time.Hour))}
	joint := &ruqiv1.JointInspection{Id: "JNT-1", CommonStart: timestamppb.New(at.Add(30 * time.Minute)), CommonEnd: timestamppb.New(at.Add(150 * time.Minute))}
	p.Codes(&ruqiv1.GetInspectionCodesResponse{Codes: []*ruqiv1.InspectionCode{code}, JointInspection: joint}, nil)
	if want := "本检查已并入联合检查 JNT-1（综合查一次），共同时段 2026-12-08 10:00 至 2026-12-08 12:00"; !strings.Contains(out.String(), want) {
		t.Errorf("officer code of a merged plan:\n%s\nwant %q", out.String(), want)
	}
	out.Reset()
	p.Codes(&ruqiv1.GetInspectionCodesResponse{Codes: []*ruqiv1.InspectionCode{code}}, nil)
	if strings.Contains(out.String(), "联合检查") {
		t.Errorf("officer code of a plan alone speaks of a joint visit:\n%s", out.String())
	}
}

// officer show names what it shows by id (an officer's trial of the CLI,
// 2026-12-07: 执法部门 AG-01, a bare USCC, officers and items by id).
func TestTablePrinter_Inspection_ByName(t *testing.T) {
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.Inspection(&ruqiv1.GetInspectionResponse{
		Inspection: &ruqiv1.Inspection{Id: "INS-1", AgencyId: "AG-01", EnterpriseUscc: "91510104CY4C7RGWMR", OfficerIds: []string{"O-0001"}, CheckItemIds: []string{"CI-0001"}},
		AgencyName: "成都市市场监督管理局", EnterpriseName: "样例企业",
		Officers:   []*ruqiv1.OfficerView{{OfficerId: "O-0001", Name: "沈勇"}},
		CheckItems: []*ruqiv1.CheckItemView{{CheckItemId: "CI-0001", Name: "食品经营许可情况检查"}}})
	for _, want := range []string{"AG-01 成都市市场监督管理局", "91510104CY4C7RGWMR 样例企业", "O-0001 沈勇", "CI-0001 食品经营许可情况检查"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("officer show:\n%s\nwant %q", out.String(), want)
		}
	}
}
