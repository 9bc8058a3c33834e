package inspection

import (
	"errors"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// MayManage is the object-level check for an agency's own inspections: an
// officer acts only for their agency; an administrator for any.
func MayManage(r store.Reader, p auth.Principal, ins *ruqiv1.Inspection) error {
	switch {
	case p.Is(ruqiv1.Role_ROLE_ADMIN):
		return nil
	case p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN):
		if p.Subject == ins.GetAgencyId() {
			return nil
		}
	case p.Is(ruqiv1.Role_ROLE_OFFICER):
		o, err := r.Officer(p.Subject)
		if err != nil {
			return notFound(err, "OFFICER_UNKNOWN", "令牌对应的执法人员 %s 不存在", p.Subject)
		}
		if o.GetAgencyId() == ins.GetAgencyId() {
			return nil
		}
	}
	return domain.PermissionDeniedf("OTHER_AGENCY", "检查 %s 不属于您的部门，无权操作", ins.GetId())
}

// MayRead extends MayManage to the enterprise inspected and the supervisor
// of its region. Foreign enterprises and supervisors of other regions get
// NotFound, so that they cannot learn which inspections exist elsewhere.
func MayRead(r store.Reader, p auth.Principal, ins *ruqiv1.Inspection) error {
	switch {
	case p.Is(ruqiv1.Role_ROLE_ENTERPRISE):
		if p.Subject == ins.GetEnterpriseUscc() {
			return nil
		}
		return unknownInspection(ins.GetId())
	case p.Is(ruqiv1.Role_ROLE_SUPERVISOR):
		if domain.RegionCovers(p.Subject, RegionOf(r, ins.GetEnterpriseUscc())) {
			return nil
		}
		// As an id nobody registered, as attaching to it is (oversee):
		// "not in your region" told the supervisor the inspection exists.
		return unknownInspection(ins.GetId())
	}
	return MayManage(r, p, ins)
}

// Shown reports whether the enterprise inspected may know of ins at now: its
// region's 检查预告 rule (domain.Notice) shows an unannounced 双随机 or 个案
// check only once its window begins, and any other visit some days before.
func Shown(r store.Reader, ins *ruqiv1.Inspection, now time.Time, pols *coord.Policies) bool {
	return pols.For(RegionOf(r, ins.GetEnterpriseUscc())).Notice().Shown(ins, now)
}

// MayReadAt is MayRead for reading the record itself at now: before its
// notice time the enterprise inspected is answered NotFound, as for another
// enterprise's inspection, so that an unannounced check cannot be read
// before it begins. (The code an officer shows at the door is another
// matter: scanning it shows the visit, whatever its notice.)
func MayReadAt(r store.Reader, p auth.Principal, ins *ruqiv1.Inspection, now time.Time, pols *coord.Policies) error {
	if err := MayRead(r, p, ins); err != nil {
		return err
	}
	if p.Is(ruqiv1.Role_ROLE_ENTERPRISE) && !Shown(r, ins, now, pols) {
		return unknownInspection(ins.GetId())
	}
	return nil
}

// JointShown reports whether the enterprise may know of a joint visit as
// such: its id, its lead agency and its size. It may not while any plan of
// the visit, or the plan its id is named after (coord.NamedAfter), is one of
// its own inspections not yet shown to it (shown, from 检查预告): a routine
// plan announced days ahead must not reveal the 双随机 check that joined it,
// nor the agency or the id of that check.
func JointShown(r store.Reader, j *ruqiv1.JointInspection, uscc string, shown func(*ruqiv1.Inspection) bool) (bool, error) {
	for _, id := range append([]string{coord.NamedAfter(j.GetId())}, j.GetInspectionIds()...) {
		m, err := r.Inspection(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if m.GetEnterpriseUscc() == uscc && !shown(m) {
			return false, nil
		}
	}
	return true, nil
}

// MayReadEnterprise is the supervisor's scope over the directory: the
// enterprises of its region. Another region's reads as a USCC the directory
// does not hold (UnknownEnterprise): "该企业不在您监督的行政区划" told a
// district's supervisor the enterprise exists elsewhere (a red-team trial,
// 2026-12-06). Other roles are decided by their calls.
func MayReadEnterprise(p auth.Principal, ent *ruqiv1.Enterprise) error {
	if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && !MayOversee(p, ent.GetRegionCode()) {
		return UnknownEnterprise(ent.GetUscc())
	}
	return nil
}

// UnknownEnterprise is the answer for a USCC the directory does not hold,
// and for an enterprise a supervisor may not know of: the two must read
// alike.
func UnknownEnterprise(uscc string) error {
	return domain.NotFoundf("ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", uscc)
}

// MayReadPriorResults is who reads enterprise ent's earlier results, of
// every agency (for 首违不罚 on the agency's own visit): an officer or
// administrator of an agency whose territory covers it (属地管辖, as for
// registering it), the supervisor of its region (MayReadEnterprise),
// administrators. An agency of another district read them all (a red-team
// trial, 2026-12-06).
func MayReadPriorResults(r store.Reader, p auth.Principal, ent *ruqiv1.Enterprise) error {
	switch {
	case p.Is(ruqiv1.Role_ROLE_SUPERVISOR):
		return MayReadEnterprise(p, ent)
	case p.Is(ruqiv1.Role_ROLE_OFFICER), p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN):
		id, err := AgencyOf(r, p, "")
		if err != nil {
			return err
		}
		ag, err := agencyRecord(r, id)
		if err != nil {
			return err
		}
		return domain.CheckJurisdiction(ag, ent, domain.ForPriorResults)
	}
	return nil
}

// MayOversee is the supervisor's scope: their region; administrators all.
func MayOversee(p auth.Principal, region string) bool {
	return p.Is(ruqiv1.Role_ROLE_ADMIN) || (p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && domain.RegionCovers(p.Subject, region))
}

// Load reads an inspection named by a caller.
func Load(r store.Reader, id string) (*ruqiv1.Inspection, error) {
	if strings.TrimSpace(id) == "" {
		return nil, domain.Invalidf("INSPECTION_ID_MISSING", "请填写检查编号")
	}
	ins, err := r.Inspection(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, unknownInspection(id)
	}
	return ins, err
}

// unknownInspection is the answer for an inspection id nobody registered,
// and for one the caller may not know of: the two must read alike.
func unknownInspection(id string) error {
	return domain.NotFoundf("INSPECTION_UNKNOWN", "检查 %s 不存在，请核对检查编号", id)
}

// notFound turns store.ErrNotFound into a domain error with a message.
func notFound(err error, reason, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return domain.NotFoundf(reason, format, args...)
	}
	return err
}
