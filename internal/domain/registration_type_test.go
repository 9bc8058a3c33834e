package domain

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trigger reference (投诉举报、转办交办、事故的编号) belongs to a 个案 check only,
// as a plan id belongs to a 专项 one (PLAN_FOR_OTHER_TYPE) and a draw to a
// 双随机 one (DRAW_NOT_RANDOM). A routine, 双随机 or 专项 registration that
// names one is accepted today and stored with it: the inspection reads
// "日常检查 … 案件来源 JB-1", a proactive check (counted against the caps)
// dressed as one a complaint triggered (an agency's trial, 2026-12-06; fixed since).
func TestValidateRequestShape_TriggerOnlyForCase(t *testing.T) {
	now := dec1
	for _, typ := range []ruqiv1.InspectionType{
		ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
		ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	} {
		req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: planUSCC, CheckItemIds: []string{"CI-1"}, OfficerIds: []string{"O-1", "O-2"},
			WindowStart: timestamppb.New(now.Add(time.Hour)), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
			Type: typ, Reason: "年度日常检查", TriggerReference: "JB-2026-0107"}
		if typ == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
			req.PlanId = "PLAN-202612-AAAAAAAA"
		}
		err := ValidateRequestShape(req, now, DefaultLimits())
		if err == nil {
			t.Errorf("%v naming a trigger reference: accepted, want an InvalidArgument refusal (only 个案 checks have a trigger)", typ)
		}
	}
}

// An officer whose certificate expired long before the window (O-0056 of the
// sample, valid until 2025-03-11, named for a visit in December 2026) is
// refused with "有效期至 2025-03-11 23:59，不覆盖整个检查时段", which reads as if
// the certificate ran out during the visit: the officer's agency should be
// told the certificate has expired (已过期), as OfficerMayAct tells the
// officer himself (an agency's trial, 2026-12-06; fixed since).
func TestCheckOfficersForAgency_LongExpired_SaysExpired(t *testing.T) {
	o := &ruqiv1.Officer{Id: "O-0056", Name: "严博", AgencyId: "AG-02", CertificateNumber: "51010020210005",
		CertificateStatus:     ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE,
		CertificateValidUntil: timestamppb.New(time.Date(2025, 3, 11, 23, 59, 59, 0, Shanghai))}
	err := CheckOfficersForAgency("AG-02", []*ruqiv1.Officer{o}, time.Date(2026, 12, 10, 9, 0, 0, 0, Shanghai), time.Date(2026, 12, 10, 11, 0, 0, 0, Shanghai))
	if err == nil {
		t.Fatal("an expired certificate was accepted")
	}
	if msg := err.Error(); !strings.Contains(msg, "过期") || strings.Contains(msg, "不覆盖整个检查时段") {
		t.Errorf("message %q: want it to say the certificate has expired, not that it does not cover the whole window", msg)
	}
}
