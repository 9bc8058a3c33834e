package inspection

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 伴随式执法监督: a supervisor of the enterprise's region accompanies a
// registered inspection, is shown on the enterprise's scan as an observer,
// and records a checklist once. The record is the 司法局's: the agency may
// read it (ListAccompaniments) but no agency role may write it.

// AccompanimentID names one supervisor (region and name) on one inspection.
func AccompanimentID(inspectionID, region, name string) string {
	h := sha256.Sum256([]byte(inspectionID + "\x00" + region + "\x00" + name))
	return "ACC-" + strings.ToUpper(hex.EncodeToString(h[:8]))
}

func supervisorName(name string) (string, error) {
	if domain.Blank(name) {
		return "", domain.Invalidf("SUPERVISOR_NAME_MISSING", "请填写伴随监督人员的姓名")
	}
	name = strings.TrimSpace(name)
	return name, domain.ValidateText("伴随监督人员姓名", name, 50)
}

// oversee loads an inspection the supervisor of its region may oversee.
func oversee(r store.Reader, p auth.Principal, id string) (*ruqiv1.Inspection, error) {
	ins, err := Load(r, id)
	if err != nil {
		return nil, err
	}
	if !MayOversee(p, RegionOf(r, ins.GetEnterpriseUscc())) {
		// Answered as an id nobody registered, as a lead of another
		// region is: "not in your region" told a district's supervisor
		// that the inspection exists, and so which ids are live elsewhere
		// (a 司法局 trial, 2026-12-06).
		return nil, unknownInspection(id)
	}
	return ins, nil
}

// AttachSupervisor attaches a supervisor to a registered inspection that
// has not ended. Attaching the same person again is the same attachment.
func AttachSupervisor(tx store.Tx, p auth.Principal, now time.Time, inspectionID, name string) (*ruqiv1.Accompaniment, error) {
	ins, err := oversee(tx, p, inspectionID)
	if err != nil {
		return nil, err
	}
	if name, err = supervisorName(name); err != nil {
		return nil, err
	}
	id := AccompanimentID(ins.GetId(), p.Subject, name)
	if a, err := findAccompaniment(tx, ins.GetId(), id); err == nil {
		return a, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	// Attached only while the visit can still be attended: not cancelled,
	// not closed, its window not over (else the enterprise's scan would
	// list as accompanying someone who could not have been there).
	if ins.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED || !now.Before(ins.GetWindowEnd().AsTime()) {
		return nil, domain.FailedPreconditionf("INSPECTION_NOT_OPEN", "检查 %s 已撤销、已办结或已结束，不能再登记伴随监督", ins.GetId())
	}
	a := &ruqiv1.Accompaniment{
		Id: id, InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), EnterpriseUscc: ins.GetEnterpriseUscc(),
		RegionCode: p.Subject, SupervisorName: name, AttachedAt: timestamppb.New(now), AttachedBy: Actor(p),
	}
	if err := tx.PutAccompaniment(a); err != nil {
		return nil, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_SUPERVISOR_ATTACHED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), id
	return a, j.Record(e)
}

func findAccompaniment(r store.Reader, inspectionID, id string) (*ruqiv1.Accompaniment, error) {
	all, err := r.Accompaniments(inspectionID)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.GetId() == id {
			return a, nil
		}
	}
	return nil, store.ErrNotFound
}

// RecordAccompaniment records an attached supervisor's checklist, once: a
// record that could be rewritten later would prove nothing. A 否 answer or
// the supervisor's request opens a lead (LEAD_KIND_ACCOMPANIMENT_FINDING).
func RecordAccompaniment(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.RecordAccompanimentRequest) (*ruqiv1.Accompaniment, *ruqiv1.Lead, error) {
	ins, err := oversee(tx, p, req.GetInspectionId())
	if err != nil {
		return nil, nil, err
	}
	name, err := supervisorName(req.GetSupervisorName())
	if err != nil {
		return nil, nil, err
	}
	a, err := findAccompaniment(tx, ins.GetId(), AccompanimentID(ins.GetId(), p.Subject, name))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, domain.FailedPreconditionf("SUPERVISOR_NOT_ATTACHED", "%s 未登记伴随检查 %s，请先登记（ruqi supervisor accompany attach）", name, ins.GetId())
	}
	if err != nil {
		return nil, nil, err
	}
	// A cancelled inspection was never carried out: a record of it, and a
	// lead against the agency from it, would be of a visit that did not
	// happen. A closed one may still be written up.
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		return nil, nil, domain.FailedPreconditionf("INSPECTION_CANCELLED", "检查 %s 已撤销，不能提交监督记录", ins.GetId())
	}
	if a.GetRecordedAt() != nil {
		return nil, nil, domain.FailedPreconditionf("ACCOMPANIMENT_RECORDED", "%s 对检查 %s 的监督记录已于 %s 提交，不能修改", name, ins.GetId(), a.GetRecordedAt().AsTime().In(domain.Shanghai).Format("2006-01-02 15:04"))
	}
	a.CertificateShown, a.RightsExplained, a.SamplingProper, a.ConductCivil = req.GetCertificateShown(), req.GetRightsExplained(), req.GetSamplingProper(), req.GetConductCivil()
	a.Notes = domain.Given(req.GetNotes())
	finding, err := domain.CheckAccompanimentRecord(a, req.GetOpenLead())
	if err != nil {
		return nil, nil, err
	}
	a.RecordedAt = timestamppb.New(now)
	j := journal(tx, p, now)
	var lead *ruqiv1.Lead
	if finding {
		var no []string
		for _, it := range domain.AccompanimentAnswers(a) {
			if it.Answer == ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO {
				no = append(no, it.Label)
			}
		}
		desc := "伴随监督发现问题"
		if len(no) > 0 {
			desc += "（否：" + strings.Join(no, "、") + "）"
		}
		if a.GetNotes() != "" {
			desc += "：" + a.GetNotes()
		}
		lead, err = j.OpenLead(domain.LeadIDFor("accompaniment|"+a.GetId()), &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_ACCOMPANIMENT_FINDING,
			EnterpriseUscc: ins.GetEnterpriseUscc(), InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), Description: desc, OccurredAt: a.GetRecordedAt()})
		if err != nil {
			return nil, nil, err
		}
		a.LeadId = lead.GetId()
	}
	if err := tx.PutAccompaniment(a); err != nil {
		return nil, nil, err
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_ACCOMPANIMENT_RECORDED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), a.GetId()
	if finding {
		e.Detail += " finding " + a.GetLeadId()
	}
	return a, lead, j.Record(e)
}

// ListAccompaniments gives an inspection's accompaniments to the 司法局 of
// its region and, read-only, to the inspecting agency: the supervisor was
// there openly, and the agency learns what to correct. Enterprises are
// shown only who accompanied (the scan), not the record.
func ListAccompaniments(r store.Reader, p auth.Principal, inspectionID string) ([]*ruqiv1.Accompaniment, error) {
	ins, err := Load(r, inspectionID)
	if err != nil {
		return nil, err
	}
	if p.Is(ruqiv1.Role_ROLE_ENTERPRISE) {
		return nil, domain.PermissionDeniedf("ACCOMPANIMENT_RECORD_HIDDEN", "企业可在扫码页看到伴随监督人员，监督记录只供司法局和检查部门查看")
	}
	if err := MayRead(r, p, ins); err != nil {
		return nil, err
	}
	return r.Accompaniments(ins.GetId())
}
