package inspection

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// VerdictMessages say each verdict in the enterprise's words, with what to do.
var VerdictMessages = map[ruqiv1.Verdict]string{
	ruqiv1.Verdict_VERDICT_VALID:               "核验通过：此检查已报备，执法人员身份有效，请配合检查",
	ruqiv1.Verdict_VERDICT_BAD_SIGNATURE:       "核验未通过：入企码签名无效，可能被伪造或篡改。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_UNKNOWN_KEY:         "核验未通过：入企码不是本系统签发的。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_NOT_YET_VALID:       "核验未通过：未到报备的检查时段。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_EXPIRED:             "核验未通过：入企码已过期（超出报备的检查时段）。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_CANCELLED:           "核验未通过：此检查已被执法部门撤销。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE:    "核验未通过：此入企码不是为本企业签发的。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID: "核验未通过：出示入企码的执法人员执法证无效（暂扣、注销或过期）。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION:  "核验未通过：系统中没有这次检查的报备记录。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_CLOSED:              "核验未通过：此检查已办结（结果已录入），入企码不再有效。如需再次检查须重新报备，企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_MALFORMED:           "核验未通过：扫描的内容不是有效的入企码，可能被篡改、不完整或不是本系统的二维码。企业有权拒绝检查",
	ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS:    "核验未通过：出示入企码的执法人员身份有效，但本次检查持有效执法证的执法人员不足2名（现场检查须至少2名）。企业有权拒绝检查",
}

// Scanned is the result of scanning a code whose signature verified.
type Scanned struct {
	Verdict ruqiv1.Verdict
	// Message says the verdict in the enterprise's words: VerdictMessages',
	// or why the officer may not inspect (domain.OfficerProblem).
	Message string
	// Inspection is the inspection the code names, when the scanning
	// enterprise may see it (nil for another enterprise's code).
	Inspection *ruqiv1.Inspection
	// FirstCheckIn and CheckIn (the check-in made or repeated, whose At is
	// when the code was first scanned) are set for a valid scan.
	FirstCheckIn bool
	CheckIn      *store.CheckIn
}

// Scan is 扫码核验 by enterprise p of a code with a good signature: the
// verdict (domain.ScanVerdict), its event, a lead for every invalid code (but
// a closed visit's code reviewed by the enterprise's account or token), and
// for a valid one the check-in keyed by the code's cti (the first scan makes
// it, later scans count on it) and the 亮码 count of the inspection.
//
// token is the scanned code as the store keeps it (code.EncodeToken of the
// message whose signature verified): the code on record for the officer
// must be that very code.
func Scan(tx store.Tx, p auth.Principal, now time.Time, c code.Claims, token string, l domain.Limits) (Scanned, error) {
	uscc := p.Subject
	j := journal(tx, p, now)
	ins, verdict, why, err := judge(tx, c, token, uscc, now, l)
	if err != nil {
		return Scanned{}, err
	}
	out := Scanned{Verdict: verdict, Message: VerdictMessages[verdict]}
	if why != "" {
		out.Message = why
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = c.InspectionID, uscc, c.OfficerID
	if verdict != ruqiv1.Verdict_VERDICT_VALID {
		e.Type, e.Detail = ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED, verdict.String()
	}
	// A closed visit's code opened again by the enterprise's account or
	// token is a review of the visit (its results, its evaluation: the
	// pages send the enterprise back to the code for them), recorded as a
	// scan and no lead; a staff phone at the door scanning it is offered the
	// refusal (ScanCodeResponse.by_device), and opens one.
	//
	// So is the code of a visit recorded after the fact (事后补录) whose
	// window had ended when it was registered (domain.LateRecordPast), never
	// valid at any door: scanned by the enterprise to read it, it opened a
	// lead 扫描到无效入企码 beside the late record's own (an officer's trial of
	// the CLI, 2026-12-07).
	lateRecord := verdict == ruqiv1.Verdict_VERDICT_EXPIRED && domain.LateRecordPast(ins) && ins.GetEnterpriseUscc() == uscc
	reviewed := (verdict == ruqiv1.Verdict_VERDICT_CLOSED || lateRecord) && p.Kind != store.TokenDevice
	if verdict != ruqiv1.Verdict_VERDICT_VALID && !reviewed {
		lead := &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE, EnterpriseUscc: uscc, InspectionId: c.InspectionID,
			OfficerId: c.OfficerID, Description: out.Message, OccurredAt: timestamppb.New(now)}
		if ins != nil {
			lead.AgencyId = ins.GetAgencyId()
		} else if c.EnterpriseUSCC != uscc {
			// Another enterprise's code, signed by us: its inspection names
			// the agency, which the supervisor reads and narrows the leads
			// by (a 司法局 trial, 2026-12-07: the lead named the officer but
			// no agency, and the agency's leads left it out). The scanning
			// enterprise is told nothing of it.
			other, err := tx.Inspection(c.InspectionID)
			switch {
			case err == nil && other.GetEnterpriseUscc() == c.EnterpriseUSCC:
				lead.AgencyId = other.GetAgencyId()
			case err != nil && !errors.Is(err, store.ErrNotFound):
				return Scanned{}, err
			}
		}
		// One lead per code and verdict: scanning the same bad code again
		// is the same lead.
		if _, err := j.OpenLead(domain.LeadIDFor(fmt.Sprintf("code|%x|%d|%s", c.TokenID, verdict, uscc)), lead); err != nil {
			return Scanned{}, err
		}
	} else if verdict == ruqiv1.Verdict_VERDICT_VALID {
		ci, first, err := checkIn(tx, c, uscc, p.Via(), now)
		if err != nil {
			return Scanned{}, err
		}
		out.CheckIn = ci
		var counts []Count
		if ins.GetFirstCheckedInAt() == nil {
			ins.FirstCheckedInAt = timestamppb.New(ci.At)
			if err := tx.PutInspection(ins); err != nil {
				return Scanned{}, err
			}
			ent, err := tx.Enterprise(uscc)
			if err != nil {
				return Scanned{}, err
			}
			// 亮码: this inspection's code was shown and scanned valid. A
			// visit that is not an inspection is checked in, but 亮码率 is
			// of inspections.
			if domain.IsInspection(ins.GetVisitKind()) {
				region, err := PlanRegion(tx, ins, ent)
				if err != nil {
					return Scanned{}, err
				}
				counts = append(counts, Count{report.Scanned, ins.GetWindowStart().AsTime(), region, ins.GetAgencyId(), uscc, 1})
			}
		}
		out.FirstCheckIn = first
		e.Detail = "repeat " + p.Via()
		if first {
			e.Detail = "check-in " + p.Via()
		}
		if err := j.Count(counts...); err != nil {
			return Scanned{}, err
		}
	}
	// A foreign enterprise learns only that the code is not for it.
	if ins != nil && ins.GetEnterpriseUscc() == uscc {
		out.Inspection = ins
	}
	return out, j.Record(e)
}

// RejectScan records a scan whose signature could not be trusted (verdict
// MALFORMED, UNKNOWN_KEY or BAD_SIGNATURE): nothing in its claims is
// believed, so only the scanning enterprise is named. msg is what was
// scanned; detail, why it failed, goes to the event only.
func RejectScan(tx store.Tx, p auth.Principal, now time.Time, v ruqiv1.Verdict, msg []byte, detail string) error {
	uscc := p.Subject
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED)
	e.EnterpriseUscc, e.Detail = uscc, domain.Clip(v.String()+" "+detail, 200)
	if err := j.Record(e); err != nil {
		return err
	}
	// One lead per forged code and enterprise: reloading the page is the
	// same lead.
	sum := sha256.Sum256(msg)
	_, err := j.OpenLead(domain.LeadIDFor(fmt.Sprintf("sig|%x|%s", sum[:8], uscc)), &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE, EnterpriseUscc: uscc,
		Description: VerdictMessages[v], OccurredAt: timestamppb.New(now)})
	return err
}

// judge reads what the verdict of a code with a good signature depends on
// and returns the verdict (domain.ScanVerdict) with the inspection, if the
// code agrees with it, and for VERDICT_CERTIFICATE_INVALID why
// (domain.OfficerProblem).
func judge(r store.Reader, c code.Claims, token, uscc string, now time.Time, l domain.Limits) (*ruqiv1.Inspection, ruqiv1.Verdict, string, error) {
	leeway := l.ClockLeeway
	f := domain.ScanFacts{ScannerUSCC: uscc, CodeUSCC: c.EnterpriseUSCC, CodeInspectionID: c.InspectionID, CodeOfficerID: c.OfficerID,
		CodeCertificate: c.CertificateNumber, NotBefore: c.NotBefore, Expiry: c.Expiry, CodeVisitKind: c.VisitKind, MinOfficers: l.MinOfficers}
	if c.EnterpriseUSCC != uscc {
		return nil, domain.ScanVerdict(f, now, leeway), "", nil
	}
	ins, err := r.Inspection(c.InspectionID)
	switch {
	case err == nil:
		f.Inspection = ins
		codes, err := r.Codes(c.InspectionID)
		if err != nil {
			return nil, 0, "", err
		}
		for _, rc := range codes {
			// The code on record, not another one a key of ours signed
			// with the same ids and window: a retired key that leaked can
			// sign those, never the one issued (a review, 2026-12-06: only
			// the ids and the window were compared, and a code minted with
			// another cti scanned valid). Equal claims under one key are
			// one message: the encoding is canonical and Ed25519
			// deterministic. A record without its token (written directly,
			// as some tests do) is held to its window only.
			if rc.GetOfficerId() == c.OfficerID && (rc.GetToken() == "" || rc.GetToken() == token) {
				f.OnRecord, f.RecordNotBefore, f.RecordExpiry = true, rc.GetNotBefore().AsTime(), rc.GetExpiresAt().AsTime()
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, 0, "", err
	}
	officer := func(id string) (*ruqiv1.Officer, error) {
		o, err := r.Officer(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return o, err
	}
	if f.Officer, err = officer(c.OfficerID); err != nil {
		return nil, 0, "", err
	}
	// The inspection's officers with a valid certificate of its agency:
	// the code's own officer read once, above.
	for _, id := range ins.GetOfficerIds() {
		o := f.Officer
		if id != c.OfficerID {
			if o, err = officer(id); err != nil {
				return nil, 0, "", err
			}
		}
		if o != nil && domain.CertificateValid(o, now) && o.GetAgencyId() == ins.GetAgencyId() {
			f.OfficersValid++
		}
	}
	v := domain.ScanVerdict(f, now, leeway)
	if v == ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION {
		// A record that disagrees with the code is not believed.
		return nil, v, "", nil
	}
	if v == ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID {
		return ins, v, domain.OfficerProblem(f, ins.GetAgencyId(), now), nil
	}
	return ins, v, "", nil
}

// checkIn records the first valid scan of a code; later scans of the same
// code are the same check-in.
func checkIn(tx store.Tx, c code.Claims, uscc, by string, now time.Time) (ci *store.CheckIn, first bool, err error) {
	ci, err = tx.CheckIn(c.TokenID)
	switch {
	case err == nil:
		ci.Scans++
		return ci, false, tx.PutCheckIn(ci)
	case errors.Is(err, store.ErrNotFound):
		ci = &store.CheckIn{TokenID: c.TokenID, InspectionID: c.InspectionID, OfficerID: c.OfficerID, USCC: uscc, At: now, Scans: 1, By: by}
		return ci, true, tx.PutCheckIn(ci)
	}
	return nil, false, err
}
