package domain

import (
	"fmt"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// CodeTiming is where a moment falls against a code's validity.
type CodeTiming int

const (
	CodeInWindow    CodeTiming = iota // may admit the officer
	CodeNotYetValid                   // before nbf − leeway
	CodeExpired                       // at or after exp + leeway
)

// TimeCode places now against a code valid from nbf until exp, with the clock
// leeway on both sides. The validity is half-open, [nbf − leeway, exp +
// leeway), as a CWT's exp is "on or after which the token MUST NOT be
// accepted" (RFC 8392 §3.1.4, RFC 7519 §4.1.4) and as every window in ruqi is.
// The server's scan, the verify page's offline check, DescribeCode and the
// CLI's offline scan all call this one function, so a code never passes in
// one place and fails in another at the same instant.
func TimeCode(nbf, exp, now time.Time, leeway time.Duration) CodeTiming {
	switch {
	case now.Before(nbf.Add(-leeway)):
		return CodeNotYetValid
	case !now.Before(exp.Add(leeway)):
		return CodeExpired
	}
	return CodeInWindow
}

// ScanFacts are what a scan verdict depends on: the claims of a code whose
// signature verified, who scanned it, and what the store holds now.
type ScanFacts struct {
	// ScannerUSCC is the enterprise that scanned the code.
	ScannerUSCC string
	// The code's claims.
	CodeUSCC, CodeInspectionID, CodeOfficerID, CodeCertificate string
	NotBefore, Expiry                                          time.Time
	// CodeVisitKind is the code's visit-kind claim ("" for an inspection).
	CodeVisitKind string
	// Inspection is the stored inspection the code names, nil if none.
	Inspection *ruqiv1.Inspection
	// Officer is the stored officer the code names, nil if none.
	Officer *ruqiv1.Officer
	// OnRecord: the store holds a code of this officer for the inspection,
	// valid from RecordNotBefore to RecordExpiry. A code whose window is not
	// the one on record was not issued by the service, whatever its
	// signature: a retired (leaked) key could sign any window.
	OnRecord                      bool
	RecordNotBefore, RecordExpiry time.Time
	// OfficersValid is how many of the inspection's officers hold a valid
	// certificate of its agency now; an on-site inspection needs at least
	// MinOfficers (Limits.MinOfficers, 2) of them.
	OfficersValid, MinOfficers int
}

// ScanVerdict decides the verdict of a code with a good signature. The order
// matters: a foreign enterprise is told only that, before anything about the
// inspection's state; a visit that is over (cancelled or closed) says so
// whatever the time.
func ScanVerdict(f ScanFacts, now time.Time, leeway time.Duration) ruqiv1.Verdict {
	ins := f.Inspection
	switch {
	case f.CodeUSCC != f.ScannerUSCC:
		return ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE
	case ins == nil || ins.GetId() != f.CodeInspectionID || ins.GetEnterpriseUscc() != f.ScannerUSCC || !has(ins.GetOfficerIds(), f.CodeOfficerID) ||
		VisitKindClaim(ins.GetVisitKind()) != f.CodeVisitKind ||
		!f.OnRecord || !f.RecordNotBefore.Equal(f.NotBefore) || !f.RecordExpiry.Equal(f.Expiry):
		// No such inspection, or a signed code that disagrees with the
		// record: treat as unknown.
		return ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION
	case ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return ruqiv1.Verdict_VERDICT_CANCELLED
	case ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		// Results are recorded: the visit is over, its codes admit no one,
		// even inside the window.
		return ruqiv1.Verdict_VERDICT_CLOSED
	}
	switch TimeCode(f.NotBefore, f.Expiry, now, leeway) {
	case CodeNotYetValid:
		return ruqiv1.Verdict_VERDICT_NOT_YET_VALID
	case CodeExpired:
		return ruqiv1.Verdict_VERDICT_EXPIRED
	}
	if OfficerProblem(f, ins.GetAgencyId(), now) != "" {
		return ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID
	}
	// The officer is genuine, but an inspection whose other officers have
	// been suspended since is one officer alone (a trial of a county's
	// 综合查一次, 2026-12-06: the code read 核验通过…请配合检查).
	if IsInspection(ins.GetVisitKind()) && f.OfficersValid < f.MinOfficers {
		return ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS
	}
	return ruqiv1.Verdict_VERDICT_VALID
}

// OfficerProblem says why the officer a code names may not inspect for
// its inspection's agency now, in the enterprise's words, or "" if they
// may: the verdict is VERDICT_CERTIFICATE_INVALID for each. A renumbered
// certificate is not the one the code was issued for; an officer moved to
// another agency no longer inspects for this one (the registration
// required it, and so do results). The three were said alike, "执法证无效
// （暂扣、注销或过期）", which told the enterprise and the 司法局's lead
// something false of an officer whose certificate was valid (a security
// review, 2026-12-07).
func OfficerProblem(f ScanFacts, agencyID string, now time.Time) string {
	const refuse = "。企业有权拒绝检查"
	switch {
	case f.Officer == nil:
		return "核验未通过：出示入企码的执法人员不在名录中" + refuse
	case !CertificateValid(f.Officer, now):
		return "核验未通过：出示入企码的执法人员执法证无效（暂扣、注销或过期）" + refuse
	case f.Officer.GetCertificateNumber() != f.CodeCertificate:
		return "核验未通过：出示入企码的执法人员的执法证号已变更，与签发此入企码时的不同，须重新领取入企码" + refuse
	case f.Officer.GetAgencyId() != agencyID:
		return "核验未通过：出示入企码的执法人员已不属于报备此检查的执法部门，不能为其检查" + refuse
	}
	return ""
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// OutsideJointTime is what the enterprise is told when a code of a joint
// visit scans valid outside the visit's common time, the window it is
// shown (start–end): the code holds for its own agency's registered window,
// which the common time narrows, and the agencies are to come together
// then (进一次门). "" within the common time, give or take the leeway. A
// trial on a phone (2026-12-06) read 有效，请配合检查 at 02:06 beside a
// visit window of 02:35–05:35, while the other agency's code said 未到检查
// 时段.
//
// After the common time has ended it is not offered as a time to come
// back in (a review, 2026-12-07: a code valid past it asked the enterprise
// to have the officers come again within a time already gone).
func OutsideJointTime(start, end, now time.Time, leeway time.Duration) string {
	switch TimeCode(start, end, now, leeway) {
	case CodeInWindow:
		return ""
	case CodeExpired:
		return fmt.Sprintf("注意：联合检查的共同时段（%s 至 %s）已经结束。此入企码在其部门报备的时段内仍然有效，但联合检查的各部门本应在共同时段一同入企（进一次门、查多项事）。", FormatTime(start), FormatTime(end))
	}
	return fmt.Sprintf("注意：现在不在联合检查的共同时段（%s 至 %s）内。此入企码在其部门报备的时段内有效，但联合检查的各部门应在共同时段一同入企（进一次门、查多项事）；企业可请执法人员在共同时段再来。", FormatTime(start), FormatTime(end))
}
