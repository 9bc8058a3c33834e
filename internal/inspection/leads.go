package inspection

import (
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// LeadUpdate is a supervisor's step on a lead.
type LeadUpdate struct {
	LeadID string
	Status ruqiv1.LeadStatus
	Note   string
	// Reply is the step's answer to the enterprise (答复), which reads it
	// (OwnLeadView); the note stays the 司法局's.
	Reply string
}

// UpdateLead moves a lead of the supervisor's region along its lifecycle
// (domain.CheckLeadTransition), recording who took the step and why. A
// request without a status but with a reply is a reply alone (答复), at the
// lead's status, a final one too: a reply was otherwise bound to a change
// of status, so a lead closed before the replies existed, or one whose
// reply was forgotten at its closing, could never be answered (a review,
// 2026-12-08).
func UpdateLead(tx store.Tx, p auth.Principal, now time.Time, in LeadUpdate) (*ruqiv1.Lead, error) {
	replyOnly := in.Status == ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED && !domain.Blank(in.Reply)
	if domain.Blank(in.Note) && !replyOnly {
		return nil, domain.Invalidf("NOTE_MISSING", "请填写%s", "处理说明")
	}
	if err := domain.ValidateText("处理说明", in.Note, domain.MaxLeadNote); err != nil {
		return nil, err
	}
	if err := domain.ValidateText("答复企业", in.Reply, domain.MaxLeadNote); err != nil {
		return nil, err
	}
	// What the request leaves out is its fault, said before any lookup:
	// no lead was answered NOT_FOUND "问题线索  不存在", and no status
	// FAILED_PRECONDITION "…不能改为“”" (a trial of bad input, 2026-12-07;
	// the dashboard checked both itself, the API did not).
	if domain.Blank(in.LeadID) {
		return nil, domain.Invalidf("LEAD_ID_MISSING", "请填写问题线索编号（L-…，问题线索列表中可查）")
	}
	if in.Status == ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED && !replyOnly {
		return nil, domain.Invalidf("LEAD_STATUS_MISSING", "请选择问题线索的新状态：核查中、已整改、已移交纪委或查无实据；只答复企业时不选状态，填写答复")
	}
	l, err := tx.Lead(in.LeadID)
	if err != nil {
		return nil, notFound(err, "LEAD_UNKNOWN", "问题线索 %s 不存在", in.LeadID)
	}
	if !MayOversee(p, LeadRegion(tx, l)) {
		// As if it did not exist: some lead ids are derived from what
		// happened (a refusal of an inspection by an enterprise), and
		// another answer here would tell a supervisor elsewhere that it
		// did (a review, 2026-12-05).
		return nil, domain.NotFoundf("LEAD_UNKNOWN", "问题线索 %s 不存在", in.LeadID)
	}
	if replyOnly {
		in.Status = l.GetStatus()
	} else if err := domain.CheckLeadTransition(l.GetId(), l.GetStatus(), in.Status); err != nil {
		return nil, err
	}
	reply := strings.TrimSpace(in.Reply)
	if reply != "" && !domain.EnterpriseFollows(l) {
		// Nobody would read it: a late registration's lead and a
		// supervisor's finding are not the enterprise's to follow.
		return nil, domain.FailedPreconditionf("LEAD_NOT_FOLLOWED", "问题线索 %s 是%s，不是企业提交的线索，企业看不到答复：请只填写处理说明", l.GetId(), domain.LeadKindLabel(l.GetKind()))
	}
	return l, journal(tx, p, now).moveLead(l, &ruqiv1.LeadStep{Status: in.Status, Note: strings.TrimSpace(in.Note), Reply: reply})
}

// LeadRegion is the region whose supervisor oversees a lead: its
// enterprise's, as the directory says now (an enterprise that moved takes
// its leads along), or the region it was opened in for a lead without one.
// The import that moves the enterprise takes the lead's counts along
// (LeadsFollowEnterprises).
func LeadRegion(r store.Reader, l *ruqiv1.Lead) string {
	if u := l.GetEnterpriseUscc(); u != "" {
		if ent, err := r.Enterprise(u); err == nil {
			return ent.GetRegionCode()
		}
	}
	return l.GetRegionCode()
}

// LeadsFollowEnterprises takes the leads of enterprises a directory import
// moves (USCC → the new region) to the new region's counts at once, so that
// each region's report counts the leads its list shows (a 司法局 trial of
// the reports, 2026-12-06: a lead nobody had touched since the move was
// counted where it was opened and listed where it is overseen). Leads are
// few (a province opens a few thousand a year) and moves rare, so one pass
// over them per import that moves anyone is cheap; Journal.moveLead still
// rehomes a lead whose region differs for any other reason.
func LeadsFollowEnterprises(tx store.Tx, moved map[string]string) error {
	if len(moved) == 0 {
		return nil
	}
	return store.Each(500, tx.Leads, (*ruqiv1.Lead).GetId, func(l *ruqiv1.Lead) error {
		to, ok := moved[l.GetEnterpriseUscc()]
		if !ok || to == l.GetRegionCode() {
			return nil
		}
		if err := report.RehomeLead(tx, l.GetStatus().String(), l.GetRegionCode(), to); err != nil {
			return err
		}
		l.RegionCode = to
		return tx.PutLead(l)
	})
}

// RefusalLeadID is the one lead of an enterprise's refusal of an inspection.
func RefusalLeadID(inspectionID, uscc string) string {
	return domain.LeadIDFor("refusal|" + inspectionID + "|" + uscc)
}
