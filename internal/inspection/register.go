package inspection

import (
	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// AgencyOf resolves the agency a call acts for: an officer's own agency, or
// the one named by an administrator or supervisor.
func AgencyOf(r store.Reader, p auth.Principal, requested string) (string, error) {
	if p.Is(ruqiv1.Role_ROLE_OFFICER) {
		o, err := r.Officer(p.Subject)
		if err != nil {
			return "", notFound(err, "OFFICER_UNKNOWN", "令牌对应的执法人员 %s 不存在", p.Subject)
		}
		if requested != "" && requested != o.GetAgencyId() {
			return "", domain.PermissionDeniedf("OTHER_AGENCY", "执法人员只能为本部门（%s）操作，不能代部门 %s 操作", o.GetAgencyId(), requested)
		}
		return o.GetAgencyId(), nil
	}
	if p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN) {
		if requested != "" && requested != p.Subject {
			return "", domain.PermissionDeniedf("OTHER_AGENCY", "部门管理员只能为本部门（%s）操作，不能代部门 %s 操作", p.Subject, requested)
		}
		return p.Subject, nil
	}
	if requested == "" {
		return "", domain.Invalidf("AGENCY_MISSING", "请指定执法部门编号")
	}
	if _, err := r.Agency(requested); err != nil {
		return "", notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", requested)
	}
	return requested, nil
}

// Checked is what CheckRegistration found.
type Checked struct {
	AgencyID   string
	Enterprise *ruqiv1.Enterprise
	Officers   []*ruqiv1.Officer
}

// CheckRegistration checks a request against the directory: the caller's
// agency, the enterprise, the items on that agency's list, and its officers.
func CheckRegistration(r store.Reader, p auth.Principal, req *ruqiv1.RegisterInspectionRequest) (Checked, error) {
	var out Checked
	var err error
	if out.AgencyID, err = AgencyOf(r, p, req.GetAgencyId()); err != nil {
		return out, err
	}
	if out.Enterprise, err = r.Enterprise(req.GetEnterpriseUscc()); err != nil {
		return out, notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，请核对统一社会信用代码", req.GetEnterpriseUscc())
	}
	items := make([]*ruqiv1.CheckItem, 0, len(req.GetCheckItemIds()))
	for _, id := range req.GetCheckItemIds() {
		it, err := r.CheckItem(id)
		if err != nil {
			return out, notFound(err, "ITEM_UNKNOWN", "检查事项 %s 不存在，请从本部门检查事项清单中选择", id)
		}
		items = append(items, it)
	}
	if err := domain.CheckItemsForAgency(out.AgencyID, items); err != nil {
		return out, err
	}
	for _, id := range req.GetOfficerIds() {
		o, err := r.Officer(id)
		if err != nil {
			return out, notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", id)
		}
		out.Officers = append(out.Officers, o)
	}
	return out, domain.CheckOfficersForAgency(out.AgencyID, out.Officers, req.GetWindowEnd().AsTime())
}
