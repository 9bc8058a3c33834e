package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type directoryServer struct {
	ruqiv1.UnimplementedDirectoryServiceServer
	s *Service
}

// ImportDirectory validates the whole file first, then writes it in one
// transaction: a file with one bad line changes nothing.
func (d *directoryServer) ImportDirectory(ctx context.Context, req *ruqiv1.ImportDirectoryRequest) (*ruqiv1.ImportDirectoryResponse, error) {
	return d.importDirectory(ctx, req.GetDirectory())
}

// MaxImportBytes bounds a directory sent through ImportDirectoryStream, all
// parts together: the parts are held in memory until the last one arrives,
// so that the import stays one transaction.
const MaxImportBytes = 256 << 20

// ImportDirectoryStream gathers the parts of a directory too large for one
// message and imports them as ImportDirectory does. Only an administrator
// reaches this point (the stream interceptor checks before any part is read).
func (d *directoryServer) ImportDirectoryStream(stream ruqiv1.DirectoryService_ImportDirectoryStreamServer) error {
	ctx := stream.Context()
	var dir *ruqiv1.Directory
	total := 0
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		total += proto.Size(req)
		if total > MaxImportBytes {
			return toStatus(ctx, domain.ResourceExhaustedf("DIRECTORY_TOO_LARGE",
				"名录过大：超过 %d MB，请拆分为多个文件分别导入", MaxImportBytes>>20))
		}
		// A stream's parts pass no unary interceptor: the same check here.
		if err := domain.ValidateRequest(req); err != nil {
			return toStatus(ctx, err)
		}
		if dir == nil {
			dir = &ruqiv1.Directory{}
		}
		proto.Merge(dir, req.GetPart())
	}
	resp, err := d.importDirectory(ctx, dir)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&ruqiv1.ImportDirectoryStreamResponse{Imported: resp})
}

func (d *directoryServer) importDirectory(ctx context.Context, dir *ruqiv1.Directory) (*ruqiv1.ImportDirectoryResponse, error) {
	if dir == nil {
		return nil, toStatus(ctx, domain.Invalidf("DIRECTORY_MISSING", "导入内容为空"))
	}
	resp := &ruqiv1.ImportDirectoryResponse{}
	err := d.s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset() // a store may run the function again
		if err := validateDirectory(tx, dir); err != nil {
			return err
		}
		for _, a := range dir.GetAgencies() {
			if err := tx.PutAgency(a); err != nil {
				return err
			}
		}
		now := d.s.now()
		for _, o := range dir.GetOfficers() {
			added, changed, err := importOfficer(ctx, tx, o, now)
			if err != nil {
				return err
			}
			if added {
				resp.OfficersAdded++
			} else if changed {
				resp.OfficersChanged++
			}
		}
		resp.OfficersCompared = true
		moved := map[string]string{} // USCC → its new region
		// Each USCC's latest place in the request so far, its record
		// before the import (nil if new) and the record kept: the last.
		type seen struct {
			// last is the place of the USCC's latest record so far: a
			// repeat is named beside the one before it, not the first
			// (lines 1, 3 and 6 read "第 6 行…与第 1 行相同": an
			// operator's trial, 2026-12-07).
			last         int
			before, kept *ruqiv1.Enterprise
		}
		each := map[string]*seen{}
		for i, e := range dir.GetEnterprises() {
			// A USCC twice in one file: the later record is kept, as
			// before, and the answer says so, where it counted as two
			// enterprises imported (an operator's trial, 2026-12-07).
			sn, repeated := each[e.GetUscc()]
			if repeated {
				resp.EnterprisesRepeated++
				if len(resp.RepeatedEnterprises) < maxRepeatedNamed {
					resp.RepeatedEnterprises = append(resp.RepeatedEnterprises, &ruqiv1.RepeatedRecord{Index: int32(i), EarlierIndex: int32(sn.last), Id: e.GetUscc()})
				}
			} else {
				sn = &seen{}
				each[e.GetUscc()] = sn
			}
			sn.last = i
			// An enterprise that moves region leaves its plans' counts
			// where they were counted (inspection.PlanRegion). Within a
			// write the enterprise is read from the transaction, past the
			// read cache (store/cache), which an import would otherwise
			// fill with the directory.
			old, err := tx.Enterprise(e.GetUscc())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if !repeated && err == nil {
				sn.before = old
			}
			sn.kept = e
			if err == nil && old.GetRegionCode() != e.GetRegionCode() {
				if err := inspection.EnterpriseMoving(tx, e.GetUscc(), old.GetRegionCode()); err != nil {
					return err
				}
				moved[e.GetUscc()] = e.GetRegionCode()
			}
			if err := tx.PutEnterprise(e); err != nil {
				return err
			}
		}
		// What the import changed: the record kept against the one held
		// before, whatever came between.
		for _, sn := range each {
			switch {
			case sn.before == nil:
				resp.EnterprisesAdded++
			case !proto.Equal(sn.before, sn.kept):
				resp.EnterprisesChanged++
			}
		}
		resp.EnterprisesCompared = true
		if err := inspection.LeadsFollowEnterprises(tx, moved); err != nil {
			return err
		}
		for _, it := range dir.GetCheckItems() {
			if err := tx.PutCheckItem(it); err != nil {
				return err
			}
		}
		e := newEvent(ctx, d.s.now(), ruqiv1.EventType_EVENT_TYPE_DIRECTORY_IMPORTED)
		e.Detail = fmt.Sprintf("agencies=%d officers=%d enterprises=%d check_items=%d sample=%t",
			len(dir.GetAgencies()), len(dir.GetOfficers()), len(dir.GetEnterprises()), len(dir.GetCheckItems()), dir.GetSample())
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp.Agencies, resp.Officers = int32(len(dir.GetAgencies())), int32(len(dir.GetOfficers()))
	resp.Enterprises, resp.CheckItems = int32(len(dir.GetEnterprises())), int32(len(dir.GetCheckItems()))
	return resp, nil
}

// maxRepeatedNamed bounds the repeated USCCs an import's answer names:
// the count says how many there were.
const maxRepeatedNamed = 100

// directoryFault names the record a refusal of a directory is about: the
// ErrorInfo metadata "record" (its kind) and "index" (its place, from 0,
// in the request's list of that kind), by which ruqi admin import names the
// line of the file; and, where the message does not already, the record in
// the message. A province's file is refused 2,000 records at a time, and
// "行政区划代码应为6位数字：""" said neither which of them nor which line
// (an operator's trial, 2026-12-07).
func directoryFault(err error, kind string, index int, what, id string) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err // the store's, not the file's
	}
	if id = domain.Clip(id, domain.MaxEchoRunes); strings.TrimSpace(id) != "" && !strings.Contains(de.Message, id) {
		de.Message = what + " " + id + "：" + de.Message
	}
	return de.With("record", kind).With("index", strconv.Itoa(index))
}

// validateDirectory checks every record, and that officers and items name an
// agency in the file or already in the store.
func validateDirectory(r store.Reader, dir *ruqiv1.Directory) error {
	for i, a := range dir.GetAgencies() {
		if err := validateAgency(a, i); err != nil {
			return directoryFault(err, domain.RecordAgency, i, "执法部门", a.GetId())
		}
	}
	agencies := map[string]bool{}
	for _, a := range dir.GetAgencies() {
		agencies[a.GetId()] = true
	}
	// A store that cannot answer is not an unknown agency: its error is
	// returned as it is (Unavailable, Internal), not as the file's fault.
	agencyKnown := func(id string) (bool, error) {
		if agencies[id] {
			return true, nil
		}
		_, err := r.Agency(id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	for i, o := range dir.GetOfficers() {
		if err := validateOfficer(o, i, agencyKnown); err != nil {
			return directoryFault(err, domain.RecordOfficer, i, "执法人员", o.GetId())
		}
	}
	for i, e := range dir.GetEnterprises() {
		if err := validateEnterprise(e); err != nil {
			return directoryFault(err, domain.RecordEnterprise, i, "企业", e.GetUscc())
		}
	}
	for i, it := range dir.GetCheckItems() {
		if err := validateCheckItem(r, it, i, agencyKnown); err != nil {
			return directoryFault(err, domain.RecordCheckItem, i, "检查事项", it.GetId())
		}
	}
	return nil
}

func validateAgency(a *ruqiv1.Agency, i int) error {
	if strings.TrimSpace(a.GetId()) == "" || domain.Blank(a.GetName()) {
		return domain.Invalidf("AGENCY_INCOMPLETE", "第%d个执法部门缺少编号或名称", i+1)
	}
	if err := domain.ValidateID("执法部门编号", a.GetId()); err != nil {
		return err
	}
	if err := directoryText(a.GetId(), "执法部门名称", a.GetName(), maxNameRunes); err != nil {
		return err
	}
	return domain.ValidateRegion(a.GetRegionCode())
}

func validateOfficer(o *ruqiv1.Officer, i int, agencyKnown func(string) (bool, error)) error {
	if o.GetId() == "" || domain.Blank(o.GetName()) || domain.Blank(o.GetCertificateNumber()) {
		return domain.Invalidf("OFFICER_INCOMPLETE", "第%d名执法人员缺少编号、姓名或执法证号", i+1)
	}
	if err := domain.ValidateID("执法人员编号", o.GetId()); err != nil {
		return err
	}
	if err := directoryText(o.GetId(), "执法人员姓名", o.GetName(), maxPersonRunes); err != nil {
		return err
	}
	if err := directoryText(o.GetId(), "执法证号", o.GetCertificateNumber(), maxPersonRunes); err != nil {
		return err
	}
	if _, known := ruqiv1.CertificateStatus_name[int32(o.GetCertificateStatus())]; !known || o.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_UNSPECIFIED {
		return domain.Invalidf("OFFICER_INCOMPLETE", "执法人员 %s 缺少执法证状态", o.GetId())
	}
	known, err := agencyKnown(o.GetAgencyId())
	if err != nil {
		return err
	}
	if !known {
		return domain.Invalidf("AGENCY_UNKNOWN", "执法人员 %s 所属部门 %q 不存在", o.GetId(), o.GetAgencyId())
	}
	return nil
}

func validateEnterprise(e *ruqiv1.Enterprise) error {
	if err := domain.ValidateUSCC(e.GetUscc()); err != nil {
		return err
	}
	if domain.Blank(e.GetName()) {
		return domain.Invalidf("ENTERPRISE_INCOMPLETE", "企业 %s 缺少名称", e.GetUscc())
	}
	if err := directoryText(e.GetUscc(), "企业名称", e.GetName(), maxNameRunes); err != nil {
		return err
	}
	// A plan's scope and a draw's filter name an industry of at most
	// this many characters: a longer one could never be named.
	if err := directoryText(e.GetUscc(), "行业", e.GetIndustry(), domain.MaxIndustryRunes); err != nil {
		return err
	}
	if err := domain.ValidateRegion(e.GetRegionCode()); err != nil {
		return err
	}
	if _, known := ruqiv1.CreditGrade_name[int32(e.GetCreditGrade())]; !known {
		return domain.Invalidf("GRADE_UNKNOWN", "企业 %s 的信用等级无效", e.GetUscc())
	}
	return nil
}

func validateCheckItem(r store.Reader, it *ruqiv1.CheckItem, i int, agencyKnown func(string) (bool, error)) error {
	if it.GetId() == "" || domain.Blank(it.GetName()) {
		return domain.Invalidf("ITEM_INCOMPLETE", "第%d个检查事项缺少编号或名称", i+1)
	}
	if err := domain.ValidateID("检查事项编号", it.GetId()); err != nil {
		return err
	}
	if domain.Blank(it.GetLegalBasis().GetLaw()) {
		return domain.Invalidf("ITEM_WITHOUT_BASIS", "检查事项 %s 缺少法律依据：没有依据的事项不能列入清单", it.GetId())
	}
	for _, f := range []struct {
		what, text string
		max        int
	}{{"检查事项名称", it.GetName(), maxNameRunes}, {"法律依据", it.GetLegalBasis().GetLaw(), maxNameRunes},
		{"依据条款", it.GetLegalBasis().GetArticle(), maxNameRunes}, {"事项领域", it.GetDomain(), domain.MaxIndustryRunes}} {
		if err := directoryText(it.GetId(), f.what, f.text, f.max); err != nil {
			return err
		}
	}
	known, err := agencyKnown(it.GetAgencyId())
	if err != nil {
		return err
	}
	if !known {
		return domain.Invalidf("AGENCY_UNKNOWN", "检查事项 %s 所属部门 %q 不存在", it.GetId(), it.GetAgencyId())
	}
	// A published item's name and basis are what inspections under it
	// were registered and decided on: a republished catalogue that
	// changed them rewrote past inspections' records (an agency's
	// trial, 2026-12-06). A revised item is a new item.
	old, err := r.CheckItem(it.GetId())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && !domain.SameCheck(old, it) {
		return domain.Invalidf("ITEM_TEXT_FIXED", "检查事项 %s 已发布，名称和依据不能更改（已有检查按原名称和依据记录）：修订后的事项请以新编号发布，并将旧事项停用（retired）", it.GetId())
	}
	return nil
}

// Bounds of a directory record's texts. Each is shown on the enterprise's
// phone at every scan (the agency, the officers, the checklist with its
// basis) and in every list: a name of 300,000 characters was imported and
// sent back in every scan of the agency's codes (a trial of bad input,
// 2026-12-07), where every text a person types into a request is bounded.
// Far above any real name: 中华人民共和国 laws' titles and item names are
// tens of characters.
const (
	maxNameRunes   = 200 // agency, enterprise and check-item names, a legal basis
	maxPersonRunes = 50  // an officer's name, a certificate number
)

// directoryText bounds one text of the record id names.
func directoryText(id, what, text string, max int) error {
	if n := utf8.RuneCountInString(text); n > max {
		return domain.Invalidf("DIRECTORY_TEXT_TOO_LONG", "%s 的%s过长：%d字，最多%d字", id, what, n, max)
	}
	return nil
}

// agencyOf is inspection.AgencyOf for the caller.
func agencyOf(r store.Reader, ctx context.Context, requested string) (string, error) {
	return inspection.AgencyOf(r, principal(ctx), requested)
}

func (d *directoryServer) ListCheckItems(ctx context.Context, req *ruqiv1.ListCheckItemsRequest) (*ruqiv1.ListCheckItemsResponse, error) {
	resp := &ruqiv1.ListCheckItemsResponse{}
	err := d.s.store.View(ctx, func(r store.Reader) error {
		// Catalogues are published: anyone signed in may read any agency's;
		// an officer's default is their own.
		agency := req.GetAgencyId()
		if agency == "" {
			var err error
			if agency, err = agencyOf(r, ctx, ""); err != nil {
				return err
			}
		} else if _, err := r.Agency(agency); err != nil {
			return notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", agency)
		}
		items, err := r.CheckItems(agency)
		if err != nil {
			return err
		}
		for _, it := range items {
			if req.GetIncludeRetired() || !it.GetRetired() {
				resp.CheckItems = append(resp.CheckItems, it)
			}
		}
		return nil
	})
	return resp, toStatus(ctx, err)
}

func (d *directoryServer) ListOfficers(ctx context.Context, req *ruqiv1.ListOfficersRequest) (*ruqiv1.ListOfficersResponse, error) {
	resp := &ruqiv1.ListOfficersResponse{}
	err := d.s.store.View(ctx, func(r store.Reader) error {
		agency, err := agencyOf(r, ctx, req.GetAgencyId())
		if err != nil {
			return err
		}
		resp.Officers, err = r.Officers(agency)
		return err
	})
	return resp, toStatus(ctx, err)
}

func (d *directoryServer) GetEnterprise(ctx context.Context, req *ruqiv1.GetEnterpriseRequest) (*ruqiv1.GetEnterpriseResponse, error) {
	p := principal(ctx)
	if err := domain.ValidateUSCC(req.GetUscc()); err != nil {
		return nil, toStatus(ctx, err)
	}
	if p.Is(ruqiv1.Role_ROLE_ENTERPRISE) && p.Subject != req.GetUscc() {
		return nil, toStatus(ctx, domain.PermissionDeniedf("OTHER_ENTERPRISE", "企业只能查看本企业的信息"))
	}
	resp := &ruqiv1.GetEnterpriseResponse{}
	err := d.s.store.View(ctx, func(r store.Reader) error {
		e, err := r.Enterprise(req.GetUscc())
		if errors.Is(err, store.ErrNotFound) {
			return inspection.UnknownEnterprise(req.GetUscc())
		}
		if err != nil {
			return err
		}
		if err := inspection.MayReadEnterprise(p, e); err != nil {
			return err
		}
		resp.Enterprise = e
		return nil
	})
	return resp, toStatus(ctx, err)
}

// importOfficer writes an officer of an imported directory. A status
// decided in ruqi (SetCertificateStatus: the personnel system's export knows
// nothing of an enforcement decision, and a monthly sync lifted a 注销
// without a trace: a trial of an agency's month, 2026-12-06) is not lifted
// by an import, only made more severe; a status an import brought, an
// import may change again (a review: a suspension the personnel system
// lifted stayed for good). A 注销 is final either way: only the system
// administrator corrects one (CERTIFICATE_REVOKED_FINAL; an import that
// turned it into a suspension let the agency restore it). A status the
// import changes is an event, as a change by hand is.
func importOfficer(ctx context.Context, tx store.Tx, o *ruqiv1.Officer, now time.Time) (added, changed bool, err error) {
	o = proto.CloneOf(o)
	o.CertificateDecided, o.CertificateDecidedBy = false, ruqiv1.Role_ROLE_UNSPECIFIED
	old, err := store.Uncached(tx).Officer(o.GetId())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, false, tx.PutOfficer(o)
	case err != nil:
		return false, false, err
	}
	defer func() { changed = err == nil && !proto.Equal(old, o) }()
	// A move to another agency or a new certificate number changes whom
	// the officer inspects for and what codes name: an event, as a
	// certificate's status change is. The import's summary said only
	// "执法人员 60", and the log nothing (a trial of sign-in, 2026-12-07).
	var what []string
	if old.GetAgencyId() != o.GetAgencyId() {
		what = append(what, fmt.Sprintf("所属部门 %s → %s", old.GetAgencyId(), o.GetAgencyId()))
	}
	if old.GetCertificateNumber() != o.GetCertificateNumber() {
		what = append(what, fmt.Sprintf("执法证号 %s → %s", old.GetCertificateNumber(), o.GetCertificateNumber()))
	}
	if len(what) > 0 {
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_OFFICER_CHANGED)
		e.OfficerId = o.GetId()
		e.Detail = strings.Join(what, "；") + "：导入名录"
		if err := record(tx, e); err != nil {
			return false, false, err
		}
	}
	was, says := old.GetCertificateStatus(), o.GetCertificateStatus()
	o.CertificateDecided, o.CertificateDecidedBy = old.GetCertificateDecided(), old.GetCertificateDecidedBy()
	if was == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED ||
		(old.GetCertificateDecided() && severity(says) < severity(was)) {
		o.CertificateStatus = was
	}
	if o.GetCertificateStatus() != was {
		// The status is the import's now: a later import may change it
		// again (a restoration decided in ruqi, then a suspension the
		// personnel system brings and lifts).
		o.CertificateDecided, o.CertificateDecidedBy = false, ruqiv1.Role_ROLE_UNSPECIFIED
	}
	if err := tx.PutOfficer(o); err != nil {
		return false, false, err
	}
	if o.GetCertificateStatus() == was {
		return false, false, nil
	}
	e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED)
	e.OfficerId = o.GetId()
	e.Detail = fmt.Sprintf("%s → %s: 导入名录", was, o.GetCertificateStatus())
	return false, false, record(tx, e)
}

// certificateWord is the decision that made a certificate's status.
func certificateWord(s ruqiv1.CertificateStatus) string {
	switch s {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		return "暂扣"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
		return "注销"
	}
	return "恢复"
}

// severity orders certificate statuses: active, suspended, revoked.
func severity(s ruqiv1.CertificateStatus) int {
	switch s {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		return 1
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
		return 2
	}
	return 0
}

// SetCertificateStatus suspends, revokes or restores a certificate (执法证).
// A suspended officer's outstanding codes stop verifying at once: the scan
// checks the certificate as it is now, not as it was when signed.
func (d *directoryServer) SetCertificateStatus(ctx context.Context, req *ruqiv1.SetCertificateStatusRequest) (*ruqiv1.SetCertificateStatusResponse, error) {
	if req.GetStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_UNSPECIFIED {
		return nil, toStatus(ctx, domain.Invalidf("STATUS_MISSING", "请选择执法证状态：有效、暂扣或注销"))
	}
	if err := requireText(req.GetReason(), "REASON_MISSING", "变更原因"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := domain.ValidateText("变更原因", req.GetReason(), 500); err != nil {
		return nil, toStatus(ctx, err)
	}
	if _, known := ruqiv1.CertificateStatus_name[int32(req.GetStatus())]; !known {
		return nil, toStatus(ctx, domain.Invalidf("STATUS_UNKNOWN", "执法证状态无效"))
	}
	resp := &ruqiv1.SetCertificateStatusResponse{}
	now := d.s.now()
	err := d.s.store.Update(ctx, func(tx store.Tx) error {
		// Read to be written back: from the transaction, not a cached copy.
		o, err := store.Uncached(tx).Officer(req.GetOfficerId())
		if err != nil {
			return notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", req.GetOfficerId())
		}
		if p := principal(ctx); p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN) {
			if p.Subject != o.GetAgencyId() {
				return domain.PermissionDeniedf("OTHER_AGENCY", "执法人员 %s 不属于您的部门", o.GetId())
			}
			// 注销 is final for the agency: it may suspend and restore its
			// officers, but undoing a revocation would let it shield its
			// own officer (a privacy and access trial, 2026-12-06: the
			// revoked officer's token acted again). The system
			// administrator corrects a wrongful 注销.
			if o.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED && req.GetStatus() != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED {
				return domain.PermissionDeniedf("CERTIFICATE_REVOKED_FINAL", "执法人员 %s 的执法证已注销，部门不能恢复；确属错误注销的，请由系统管理员更正", o.GetId())
			}
			// Nor does it lift what the system administrator decided: an
			// agency administrator restored a suspension the system
			// administrator had imposed (a trial of sign-in, 2026-12-07).
			// Only a more severe status is the agency's to set then: the
			// same one set again made the agency the decider, and the next
			// call lifted it (a review, 2026-12-07).
			if o.GetCertificateDecided() && o.GetCertificateDecidedBy() == ruqiv1.Role_ROLE_ADMIN &&
				severity(req.GetStatus()) <= severity(o.GetCertificateStatus()) {
				return domain.PermissionDeniedf("CERTIFICATE_DECIDED_BY_ADMIN", "执法人员 %s 的执法证由系统管理员%s，部门不能解除；如有异议，请由系统管理员更正", o.GetId(), certificateWord(o.GetCertificateStatus()))
			}
		}
		old := o.GetCertificateStatus()
		o.CertificateStatus, o.CertificateDecided, o.CertificateDecidedBy = req.GetStatus(), true, principal(ctx).Role
		if err := tx.PutOfficer(o); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED)
		e.OfficerId = o.GetId()
		e.Detail = fmt.Sprintf("%s → %s: %s", old, req.GetStatus(), strings.TrimSpace(req.GetReason()))
		resp.Officer = o
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
