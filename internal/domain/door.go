package domain

import (
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Mutual is 两码互核 for one officer of a visit: verified when the
// officer's arrival (scan of the enterprise code) and the enterprise's
// check-in (scan of that officer's code) lie within interval of each other,
// in either order. A zero time is a scan that has not happened.
func Mutual(checkedInAt, arrivedAt time.Time, interval time.Duration) ruqiv1.MutualVerification {
	if checkedInAt.IsZero() || arrivedAt.IsZero() {
		return ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING
	}
	d := checkedInAt.Sub(arrivedAt)
	if d < 0 {
		d = -d
	}
	if d <= interval {
		return ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED
	}
	return ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART
}

// ArrivalOutsideWindow reports whether an officer arrived further than
// tolerance before the registered window's start or after its end (虚假扫码:
// a scan far from the visit it claims).
func ArrivalOutsideWindow(at, start, end time.Time, tolerance time.Duration) bool {
	return at.Before(start.Add(-tolerance)) || !at.Before(end.Add(tolerance))
}

// Door warnings (不扫码 / 虚假扫码) for the 司法局: the detail of their
// DOOR_WARNING event.
const (
	WarnResultWithoutCheckIn  = "result_without_check_in"
	WarnCheckInWithoutArrival = "check_in_without_arrival"
	WarnArrivalOutsideWindow  = "arrival_outside_window"
	WarnOverlappingCheckIns   = "overlapping_check_ins"
)

// VisitsOverlap reports whether two check-ins of one officer, each taken to
// hold the officer at its enterprise for span, overlap: the officer cannot
// have been at both (虚假扫码).
func VisitsOverlap(a, b time.Time, span time.Duration) bool {
	d := a.Sub(b)
	if d < 0 {
		d = -d
	}
	return d < span
}

// ArrivalFacts are what an arrival's acceptance depends on.
type ArrivalFacts struct {
	OfficerID  string
	Inspection *ruqiv1.Inspection
	// CodeUSCC and CodeGeneration are the scanned enterprise code's claims;
	// CurrentGeneration is the enterprise's latest (0: it never had one).
	CodeUSCC                          string
	CodeGeneration, CurrentGeneration uint64
	// SameToken: the scanned code is the stored one of that generation.
	SameToken bool
	// Officer is the arriving officer's record as it is now (nil: none),
	// and Now the arrival's time: the certificate must be valid then, and
	// the officer still of the inspection's agency, as at the enterprise's
	// scan of the officer's code (ScanVerdict).
	Officer *ruqiv1.Officer
	Now     time.Time
}

// CheckArrival is the rule for accepting an officer's arrival: the officer
// is on the inspection, the inspection is neither cancelled nor closed, the
// code is the inspection's enterprise's, and it is that enterprise's current
// code. Each refusal says why, in words the officer understands.
func CheckArrival(f ArrivalFacts) error {
	ins := f.Inspection
	on := false
	for _, o := range ins.GetOfficerIds() {
		on = on || o == f.OfficerID
	}
	switch {
	case !on:
		return PermissionDeniedf("NOT_ON_INSPECTION", "执法人员 %s 不在检查 %s 的报备人员中，不能登记到场", f.OfficerID, ins.GetId())
	case ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return FailedPreconditionf("INSPECTION_CANCELLED", "检查 %s 已撤销，不能登记到场", ins.GetId())
	case ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		return FailedPreconditionf("INSPECTION_COMPLETED", "检查 %s 已办结，不能再登记到场", ins.GetId())
	case f.CodeUSCC != ins.GetEnterpriseUscc():
		return FailedPreconditionf("ENTERPRISE_CODE_WRONG_ENTERPRISE", "扫描的企业码属于另一家企业（%s），不是检查 %s 的企业（%s）：请在被检查企业现场扫描其张贴的企业码",
			f.CodeUSCC, ins.GetId(), ins.GetEnterpriseUscc())
	case f.CodeGeneration != f.CurrentGeneration || !f.SameToken:
		return FailedPreconditionf("ENTERPRISE_CODE_SUPERSEDED", "此企业码已被企业重新生成，旧码已失效：请扫描企业现场张贴的最新企业码")
	case f.Officer == nil || !CertificateValid(f.Officer, f.Now):
		return FailedPreconditionf("CERTIFICATE_INVALID", "您的执法证已暂扣、注销或过期，不能登记到场")
	case f.Officer.GetAgencyId() != ins.GetAgencyId():
		return FailedPreconditionf("OFFICER_NOT_OF_AGENCY", "您已不属于检查 %s 的执法部门，不能以该部门的名义登记到场", ins.GetId())
	}
	return nil
}
