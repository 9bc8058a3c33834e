package cli

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// printer writes the result of each command, as etcdctl does: one method
// per kind of result, a table implementation for people and a json one
// for scripts. Notes that are not the result (which files were written)
// go to errOut in json mode so that stdout stays one JSON document.
type printer interface {
	Registered(requestID string, r *ruqiv1.RegisterInspectionResponse)
	Inspection(r *ruqiv1.GetInspectionResponse)
	Cancelled(r *ruqiv1.CancelInspectionResponse)
	Codes(r *ruqiv1.GetInspectionCodesResponse, written []string)
	CheckItems(r *ruqiv1.ListCheckItemsResponse)
	Officers(r *ruqiv1.ListOfficersResponse)
	Scan(r *ruqiv1.ScanCodeResponse)
	OfflineScan(r offlineResult)
	Refused(r *ruqiv1.RefuseInspectionResponse)
	History(r *ruqiv1.ListInspectionsResponse)
	Upcoming(r *ruqiv1.ListUpcomingVisitsResponse)
	PublicKeys(r *ruqiv1.ListPublicKeysResponse, source string)
	Imported(d *ruqiv1.Directory, r *ruqiv1.ImportDirectoryResponse)
	Token(req *ruqiv1.IssueAccessTokenRequest, r *ruqiv1.IssueAccessTokenResponse)
	Rotated(r *ruqiv1.RotateSigningKeyResponse)
	Events(r *ruqiv1.ListEventsResponse)
	LogVerified(r *ruqiv1.VerifyEventLogResponse)
	Compacted(r *ruqiv1.CompactStoreResponse)
	BackedUp(r backupReport)

	// After the visit and oversight (printer_oversight.go).
	ResultRecorded(r *ruqiv1.RecordResultResponse)
	PriorResults(r *ruqiv1.ListPriorResultsResponse)
	EvaluationSummary(r *ruqiv1.GetEvaluationSummaryResponse)
	Evaluated(req *ruqiv1.EvaluateInspectionRequest, r *ruqiv1.EvaluateInspectionResponse)
	Complained(r *ruqiv1.ComplainResponse)
	Leads(r *ruqiv1.ListLeadsResponse)
	OwnLeads(r *ruqiv1.ListOwnLeadsResponse)
	LeadUpdated(r *ruqiv1.UpdateLeadResponse)
	Evaluations(r *ruqiv1.ListEvaluationsResponse)
	TokenRevoked(req *ruqiv1.RevokeAccessTokenRequest, r *ruqiv1.RevokeAccessTokenResponse)
	Tokens(r *ruqiv1.ListAccessTokensResponse)
	CertificateChanged(req *ruqiv1.SetCertificateStatusRequest, r *ruqiv1.SetCertificateStatusResponse)
	Enterprise(r *ruqiv1.GetEnterpriseResponse)

	// Inspection plans (printer_plan.go): one plan with its versions under
	// a headline saying what was done ("" for none), and lists.
	Plan(headline string, p *ruqiv1.Plan)
	Plans(r *ruqiv1.ListPlansResponse)
	// 拼团 matching (match.go).
	CoverageSubmitted(r *ruqiv1.SubmitPlanCoverageResponse)
	Matched(r *ruqiv1.RunMatchingResponse)
	Proposals(r *ruqiv1.ListProposalsResponse)
	ProposalAnswered(r *ruqiv1.RespondToProposalResponse)
	ProposalShown(pr *ruqiv1.JointVisitProposal)
}

func newPrinter(format string, out, errOut io.Writer) printer {
	if format == "json" {
		return &jsonPrinter{out: out, errOut: errOut}
	}
	return &tablePrinter{out: out}
}

func (a *app) printer() printer {
	if a.output == "json" {
		return a.jsonPrinter()
	}
	return newPrinter(a.output, a.stdout, a.stderr)
}

// jsonPrinter writes as -o json does, whatever -o says.
func (a *app) jsonPrinter() *jsonPrinter {
	return &jsonPrinter{out: a.stdout, errOut: a.stderr, failed: &a.printFailed}
}

// offlineResult is the outcome of `company scan --offline`: what the
// signature and the claims alone can tell.
type offlineResult struct {
	Verdict ruqiv1.Verdict
	Message string
	KeyID   string
	// Claims is nil when the code could not be read or its signature failed.
	Claims *code.Claims
}

// offlineNotice says what an offline check cannot know.
const offlineNotice = "离线核验（未联网，无法确认是否已撤销、已办结、执法证是否有效）"

// ---- json ----

type jsonPrinter struct {
	out, errOut io.Writer
	// failed, if set, is told that an answer could not be encoded.
	failed *bool
}

func (p *jsonPrinter) encodingFailed(err error) {
	fmt.Fprintf(p.errOut, "错误：无法编码为 JSON：%v\n", err)
	if p.failed != nil {
		*p.failed = true
	}
}

var jsonOptions = protojson.MarshalOptions{Multiline: true, EmitUnpopulated: false}

func (p *jsonPrinter) msg(m proto.Message) {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		p.encodingFailed(err)
		return
	}
	_, _ = p.out.Write(append(b, '\n'))
}

func (p *jsonPrinter) Registered(_ string, r *ruqiv1.RegisterInspectionResponse) { p.msg(r) }
func (p *jsonPrinter) Inspection(r *ruqiv1.GetInspectionResponse)                { p.msg(r) }
func (p *jsonPrinter) Cancelled(r *ruqiv1.CancelInspectionResponse)              { p.msg(r) }
func (p *jsonPrinter) CheckItems(r *ruqiv1.ListCheckItemsResponse)               { p.msg(r) }
func (p *jsonPrinter) Officers(r *ruqiv1.ListOfficersResponse)                   { p.msg(r) }
func (p *jsonPrinter) Scan(r *ruqiv1.ScanCodeResponse)                           { p.msg(r) }
func (p *jsonPrinter) History(r *ruqiv1.ListInspectionsResponse)                 { p.msg(r) }
func (p *jsonPrinter) Upcoming(r *ruqiv1.ListUpcomingVisitsResponse)             { p.msg(r) }
func (p *jsonPrinter) Rotated(r *ruqiv1.RotateSigningKeyResponse)                { p.msg(r) }
func (p *jsonPrinter) Events(r *ruqiv1.ListEventsResponse)                       { p.msg(r) }
func (p *jsonPrinter) Tokens(r *ruqiv1.ListAccessTokensResponse)                 { p.msg(r) }
func (p *jsonPrinter) LogVerified(r *ruqiv1.VerifyEventLogResponse)              { p.msg(r) }

func (p *jsonPrinter) Imported(_ *ruqiv1.Directory, r *ruqiv1.ImportDirectoryResponse) { p.msg(r) }

func (p *jsonPrinter) Token(_ *ruqiv1.IssueAccessTokenRequest, r *ruqiv1.IssueAccessTokenResponse) {
	p.msg(r)
}

// Refused prints the response; in the trial phase the advisory also goes to
// errOut, so that a person running with -o json still sees it.
func (p *jsonPrinter) Refused(r *ruqiv1.RefuseInspectionResponse) {
	p.msg(r)
	if r.GetAdvisory() {
		fmt.Fprintf(p.errOut, "⚠ %s\n", advisoryMessage(r))
	}
}

func (p *jsonPrinter) Codes(r *ruqiv1.GetInspectionCodesResponse, written []string) {
	p.msg(r)
	if len(written) > 0 {
		fmt.Fprintf(p.errOut, "已写入二维码图片：%s\n", strings.Join(written, "、"))
	}
}

func (p *jsonPrinter) PublicKeys(r *ruqiv1.ListPublicKeysResponse, source string) {
	p.msg(r)
	if source != "" {
		fmt.Fprintln(p.errOut, source)
	}
}

// offlineJSON is the json form of an offline check. It is not a protobuf
// message because the claims exist only inside the signed code.
type offlineJSON struct {
	Offline bool        `json:"offline"`
	Notice  string      `json:"notice"`
	Verdict string      `json:"verdict"`
	Message string      `json:"message,omitempty"`
	KeyID   string      `json:"keyId,omitempty"`
	Claims  *claimsJSON `json:"claims,omitempty"`
}

type claimsJSON struct {
	TokenID           string    `json:"tokenId,omitempty"`
	Issuer            string    `json:"issuer,omitempty"`
	IssuedAt          time.Time `json:"issuedAt"`
	NotBefore         time.Time `json:"notBefore"`
	Expiry            time.Time `json:"expiry"`
	InspectionID      string    `json:"inspectionId,omitempty"`
	OfficerID         string    `json:"officerId,omitempty"`
	CertificateNumber string    `json:"certificateNumber,omitempty"`
	EnterpriseUSCC    string    `json:"enterpriseUscc,omitempty"`
}

func (p *jsonPrinter) OfflineScan(r offlineResult) {
	v := offlineJSON{
		Offline: true,
		Notice:  offlineNotice,
		Verdict: r.Verdict.String(),
		Message: r.Message,
		KeyID:   r.KeyID,
	}
	if c := r.Claims; c != nil {
		v.Claims = &claimsJSON{
			TokenID:           hex.EncodeToString(c.TokenID),
			Issuer:            c.Issuer,
			IssuedAt:          c.IssuedAt,
			NotBefore:         c.NotBefore,
			Expiry:            c.Expiry,
			InspectionID:      c.InspectionID,
			OfficerID:         c.OfficerID,
			CertificateNumber: c.CertificateNumber,
			EnterpriseUSCC:    c.EnterpriseUSCC,
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		p.encodingFailed(err)
		return
	}
	_, _ = p.out.Write(append(b, '\n'))
}

// ---- table ----

type tablePrinter struct {
	out io.Writer
}

func (p *tablePrinter) println(a ...any)               { fmt.Fprintln(p.out, a...) }
func (p *tablePrinter) printf(format string, a ...any) { fmt.Fprintf(p.out, format, a...) }

func joinIDs(ids []string) string { return strings.Join(ids, "、") }

// inspection prints an inspection's fields, then extra pairs aligned with
// them.
func (p *tablePrinter) inspection(in *ruqiv1.Inspection, extra ...[2]string) {
	p.inspectionNamed(in, nil, extra...)
}

// byName is an id with its directory name where names holds one
// (optNamed: "AG-01 成都市市场监督管理局").
func byName(names map[string]string, id string) string { return optNamed(id, names[id]) }

// namesOf is joinIDs, each id with its name where names holds one.
func namesOf(names map[string]string, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = byName(names, id)
	}
	return joinIDs(out)
}

// inspectionNamed is inspection with the directory's names of its ids
// (agency, enterprise, officers, items) where names holds them.
func (p *tablePrinter) inspectionNamed(in *ruqiv1.Inspection, names map[string]string, extra ...[2]string) {
	if in == nil {
		return
	}
	pairs := [][2]string{
		kv("报备编号", in.GetId()),
		kv("执法部门", byName(names, in.GetAgencyId())),
		kv("被检查企业", byName(names, in.GetEnterpriseUscc())),
		// What kind of visit, and under which plan or draw, as the
		// enterprise's scan says it (a trial of the CLI, 2026-12-05).
		kv("入企类型", domain.VisitKindLabel(in.GetVisitKind())),
		kv("检查类型", typeLabelOf(in.GetVisitKind(), in.GetType())),
		kv("检查计划", in.GetPlanId()),
		kv("双随机抽取", in.GetDrawId()),
		kv("检查时间", fmtWindow(in.GetWindowStart(), in.GetWindowEnd())),
		kv("检查事项", namesOf(names, in.GetCheckItemIds())),
		kv("执法人员", namesOf(names, in.GetOfficerIds())),
		kv("事由", in.GetReason()),
		kv("案件来源", in.GetTriggerReference()),
		kv("状态", inspectionStateLabel(in.GetState())),
	}
	if in.GetLate() {
		pairs = append(pairs, kv("事后补录", "是（"+orDash(in.GetLateReason())+"），已报送司法局"))
	}
	if in.GetStreakReason() != "" {
		pairs = append(pairs, kv("再次检查理由", in.GetStreakReason()+"（此前连续三次未发现问题）"))
	}
	if in.GetRegisteredAt() != nil {
		pairs = append(pairs, kv("报备时间", fmtTime(in.GetRegisteredAt())))
	}
	if by := in.GetRegisteredBy(); by != "" {
		pairs = append(pairs, kv("报备人", domain.ActorLabel(by)))
	}
	if in.GetCancelledAt() != nil {
		pairs = append(pairs, kv("撤销时间", fmtTime(in.GetCancelledAt())))
	}
	pairs = append(pairs, kv("撤销原因", in.GetCancelReason()))
	pairs = append(pairs, kv("联合检查", in.GetJointInspectionId()))
	if in.GetCompletedAt() != nil {
		pairs = append(pairs, kv("办结时间", fmtTime(in.GetCompletedAt())))
	}
	fields(p.out, append(pairs, extra...)...)
	if res := in.GetResult(); res != nil {
		p.println()
		p.result(res, nil)
	}
}

// joint prints a joint inspection (综合查一次) and the frequency warnings
// that came with a registration.
func (p *tablePrinter) joint(j *ruqiv1.JointInspection, warnings []*ruqiv1.FrequencyWarning) {
	p.jointNamed(j, nil, warnings)
}

func (p *tablePrinter) jointNamed(j *ruqiv1.JointInspection, names map[string]string, warnings []*ruqiv1.FrequencyWarning) {
	if j != nil {
		p.println()
		p.printf("综合查一次：已与其他部门的检查合并为一次联合检查（进一次门、查多项事）。\n")
		fields(p.out,
			kv("联合检查编号", j.GetId()),
			kv("牵头部门", byName(names, j.GetLeadAgencyId())),
			kv("共同时段", fmtTime(j.GetCommonStart())+" 至 "+fmtTime(j.GetCommonEnd())),
			kv("合并的报备", joinIDs(j.GetInspectionIds())),
		)
	}
	for _, w := range warnings {
		p.println()
		p.printf("⚠ %s\n", w.GetMessage())
	}
}

func (p *tablePrinter) codes(codes []*ruqiv1.InspectionCode) {
	for i, c := range codes {
		if i > 0 {
			p.println()
		}
		p.printf("执法人员 %s 的入企码\n", c.GetOfficerId())
		validity := ""
		if c.GetNotBefore() != nil || c.GetExpiresAt() != nil {
			validity = fmtTime(c.GetNotBefore()) + " 至 " + fmtTime(c.GetExpiresAt())
		}
		fields(p.out,
			kv("  令牌", c.GetToken()),
			kv("  链接", c.GetUrl()),
			kv("  有效期", validity),
			kv("  签名密钥", c.GetKeyId()),
		)
	}
}

func (p *tablePrinter) Registered(requestID string, r *ruqiv1.RegisterInspectionResponse) {
	// A retry answers the plan as it is now, which may be cancelled or
	// closed since: then it has no codes to show.
	switch r.GetInspection().GetState() {
	case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		p.println("此报备此前已登记，现已撤销：入企码已失效。")
	case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		p.println("此报备此前已登记，现已办结：入企码已失效。")
	default:
		p.println("报备成功。")
	}
	p.println()
	retry := ""
	if requestID != "" {
		retry = requestID + "（重试时加 --request-id " + requestID + "，不会重复报备）"
	}
	p.inspection(r.GetInspection(), kv("请求编号", retry))
	p.joint(r.GetJointInspection(), r.GetWarnings())
	if len(r.GetCodes()) > 0 {
		p.println()
		p.printf("入企码（共 %d 个，每位执法人员一个）：\n\n", len(r.GetCodes()))
		p.codes(r.GetCodes())
	}
}

func (p *tablePrinter) Inspection(r *ruqiv1.GetInspectionResponse) {
	// By name, where it read AG-01 and a bare USCC (an officer's trial of
	// the CLI, 2026-12-07).
	in := r.GetInspection()
	names := map[string]string{in.GetAgencyId(): r.GetAgencyName(), in.GetEnterpriseUscc(): r.GetEnterpriseName(),
		r.GetJointInspection().GetLeadAgencyId(): r.GetLeadAgencyName()}
	for _, o := range r.GetOfficers() {
		names[o.GetOfficerId()] = o.GetName()
	}
	for _, it := range r.GetCheckItems() {
		names[it.GetCheckItemId()] = it.GetName()
	}
	p.inspectionNamed(in, names)
	if at := r.GetRefusedAt(); at != nil {
		// The officers were not told (an officer's trial, 2026-12-07).
		p.printf("注意：企业已于 %s 拒绝这次检查（已作为问题线索报送司法局）；企业扫码将看到此拒绝，是否接受检查由企业决定。\n", fmtTime(at))
	}
	p.checklist(r.GetCheckItems())
	if j := r.GetJointInspection(); in.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED && in.GetJointInspectionId() != "" {
		// A cancelled plan left the visit: it was told it had been merged
		// into it and to come at its common time (a walk through a joint
		// visit, 2026-12-07). The visit goes on if it has two plans
		// without this one; a server before then answered a visit that
		// had ended (one plan left) as it was, this plan among them.
		p.println()
		if ids := j.GetInspectionIds(); len(ids) > 1 && !slices.Contains(ids, in.GetId()) {
			p.printf("本报备已撤销，已退出联合检查 %s；该联合检查继续进行，牵头部门：%s，共同时段 %s 至 %s。\n",
				j.GetId(), j.GetLeadAgencyId(), fmtTime(j.GetCommonStart()), fmtTime(j.GetCommonEnd()))
		} else {
			p.printf("本报备已撤销，已退出联合检查 %s。\n", in.GetJointInspectionId())
		}
	} else if j != nil {
		p.jointNamed(j, names, nil)
		// A plan that joined later may have narrowed the visit: the
		// enterprise is shown the common time, and the officers come then.
		in := r.GetInspection()
		if !j.GetCommonStart().AsTime().Equal(in.GetWindowStart().AsTime()) || !j.GetCommonEnd().AsTime().Equal(in.GetWindowEnd().AsTime()) {
			p.printf("注意：联合检查的共同时段（%s 至 %s）与本报备的时段不同；企业扫码看到的是共同时段，请按共同时段入企。\n", fmtTime(j.GetCommonStart()), fmtTime(j.GetCommonEnd()))
		}
	}
	if len(r.GetOfficers()) > 0 {
		p.println()
		p.println("执法人员：")
		p.officers(r.GetOfficers())
		// An officer whose certificate the enterprise's scan will judge
		// invalid cannot take part: said before the visit, not at the door.
		var invalid []string
		for _, o := range r.GetOfficers() {
			if !o.GetCertificateValid() {
				// Name and id (what re-registering needs), and why:
				// 李四（O-0002）的执法证已暂扣.
				standing := certificateStanding(o.GetCertificateStatus(), false)
				if !strings.HasPrefix(standing, "已") {
					standing = "已" + standing
				}
				invalid = append(invalid, o.GetName()+"（"+o.GetOfficerId()+"）的执法证"+standing)
			}
		}
		if len(invalid) > 0 && r.GetInspection().GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
			// A visit already under way cannot be cancelled (the rule of
			// CancelInspection): the advice follows what happened (a trial
			// of an agency's month, 2026-12-06).
			begun := r.GetInspection().GetResult() != nil
			for _, d := range r.GetAtDoor() {
				begun = begun || d.GetCheckedInAt() != nil || d.GetArrivedAt() != nil
			}
			if begun {
				p.printf("注意：%s，不得参加检查；检查已经实施（已扫码签到、登记到场或记录结果），不能撤销。\n", strings.Join(invalid, "、"))
			} else {
				p.printf("注意：%s，企业扫码将显示执法证无效，可拒绝检查；请撤销本次报备，改派持有效执法证的人员重新报备。\n", strings.Join(invalid, "、"))
			}
		}
	}
	if len(r.GetAtDoor()) > 0 {
		p.println()
		p.println("到场与两码互核：")
		tb := newTable("执法人员", "企业扫码签到", "扫企业码到场", "两码互核")
		for _, d := range r.GetAtDoor() {
			tb.add(d.GetOfficerId(), fmtTimeOrDash(d.GetCheckedInAt()), fmtTimeOrDash(d.GetArrivedAt()), mutualLabels[d.GetMutual()])
		}
		tb.write(p.out)
	}
}

// officers is the table of an inspection's officers with their
// certificates, as the enterprise's scan judges them.
func (p *tablePrinter) officers(views []*ruqiv1.OfficerView) {
	t := newTable("编号", "姓名", "执法部门", "执法证号", "执法证", "有效期至")
	for _, o := range views {
		t.add(o.GetOfficerId(), o.GetName(), o.GetAgencyId(), orDash(o.GetCertificateNumber()), certificateValidity(o),
			fmtDate(o.GetCertificateValidUntil()))
	}
	t.write(p.out)
}

// certificateValidity says whether a certificate is valid and, if not, why:
// suspended, revoked, or active but past its date.
func certificateValidity(o *ruqiv1.OfficerView) string {
	if o.GetCertificateValid() {
		return "有效"
	}
	return "无效（" + certificateStanding(o.GetCertificateStatus(), false) + "）"
}

func fmtTimeOrDash(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return fmtTime(ts)
}

func (p *tablePrinter) Cancelled(r *ruqiv1.CancelInspectionResponse) {
	p.println("已撤销报备，入企码随即失效。")
	p.println()
	p.inspection(r.GetInspection())
	if j := r.GetJointInspection(); j != nil {
		p.println()
		p.printf("联合检查 %s 继续进行，牵头部门：%s。\n", j.GetId(), j.GetLeadAgencyId())
	}
}

func (p *tablePrinter) Codes(r *ruqiv1.GetInspectionCodesResponse, written []string) {
	if len(r.GetCodes()) == 0 {
		p.println("没有入企码。")
		return
	}
	p.codes(r.GetCodes())
	if j := r.GetJointInspection(); j != nil {
		// The codes hold for the agency's own window; the visit is at
		// the common time, which the enterprise is shown (an officer's
		// trial, 2026-12-07: only officer show said so).
		c := r.GetCodes()[0]
		if !j.GetCommonStart().AsTime().Equal(c.GetNotBefore().AsTime()) || !j.GetCommonEnd().AsTime().Equal(c.GetExpiresAt().AsTime()) {
			p.println()
			p.printf("注意：本检查已并入联合检查 %s（综合查一次），共同时段 %s 至 %s；入企码在本部门报备的时段内有效，但请在共同时段与各部门一同入企，企业扫码看到的是共同时段。\n",
				j.GetId(), fmtTime(j.GetCommonStart()), fmtTime(j.GetCommonEnd()))
		}
	}
	if len(written) > 0 {
		p.println()
		p.printf("已写入二维码图片：%s\n", strings.Join(written, "、"))
	}
}

func (p *tablePrinter) CheckItems(r *ruqiv1.ListCheckItemsResponse) {
	if len(r.GetCheckItems()) == 0 {
		p.println("没有检查事项。")
		return
	}
	t := newTable("编号", "检查事项", "执法部门", "依据", "领域", "状态")
	for _, it := range r.GetCheckItems() {
		state := "在用"
		if it.GetRetired() {
			state = "已停用"
		}
		t.add(it.GetId(), it.GetName(), it.GetAgencyId(), orDash(domain.LegalBasisText(it.GetLegalBasis())), orDash(it.GetDomain()), state)
	}
	t.write(p.out)
}

func (p *tablePrinter) Officers(r *ruqiv1.ListOfficersResponse) {
	if len(r.GetOfficers()) == 0 {
		p.println("没有执法人员。")
		return
	}
	t := newTable("编号", "姓名", "执法部门", "执法证号", "执法证状态", "有效期至")
	for _, o := range r.GetOfficers() {
		t.add(o.GetId(), o.GetName(), o.GetAgencyId(), orDash(o.GetCertificateNumber()),
			officerCertificateLabel(o), fmtDate(o.GetCertificateValidUntil()))
	}
	t.write(p.out)
}

func (p *tablePrinter) inspectionView(v *ruqiv1.InspectionView) {
	if !domain.IsInspection(v.GetVisitKind()) {
		p.println(domain.NotInspectionMessage(v.GetVisitKind()))
		p.println()
	}
	fields(p.out,
		kv("报备编号", v.GetInspectionId()),
		kv("入企类型", domain.VisitKindLabel(v.GetVisitKind())),
		kv("检查类型", typeLabelOf(v.GetVisitKind(), v.GetType())),
		kv("检查时间", fmtWindow(v.GetWindowStart(), v.GetWindowEnd())),
		kv("事由", v.GetReason()),
		kv("状态", cmp.Or(domain.RefusedState(v), inspectionStateLabel(v.GetState()))),
		kv("联合检查", v.GetJointInspectionId()),
		kv("双随机抽取", v.GetDrawId()),
	)
	if len(v.GetAgencies()) > 0 {
		title := "执法部门"
		if len(v.GetAgencies()) > 1 {
			title = "执法部门（联合检查）"
		}
		p.printf("\n%s：\n", title)
		t := newTable("编号", "名称", "行政区划", "层级")
		for _, a := range v.GetAgencies() {
			t.add(a.GetId(), a.GetName(), orDash(a.GetRegionCode()), agencyLevelLabel(a.GetLevel()))
		}
		t.write(p.out)
	}
	if len(v.GetOfficers()) > 0 {
		p.println("\n执法人员：")
		p.officers(v.GetOfficers())
	}
	if len(v.GetAccompanyingSupervisors()) > 0 {
		// Observers for the 司法局, not inspectors: a table of their own.
		p.println("\n伴随监督人员（司法局，只监督、不检查）：")
		t := newTable("姓名", "司法局行政区划")
		for _, s := range v.GetAccompanyingSupervisors() {
			t.add(s.GetName(), s.GetRegionCode())
		}
		t.write(p.out)
	}
	p.checklist(v.GetCheckItems())
}

// checklist prints the items of a visit with their legal basis, marking
// those retired since the registration: the enterprise's views and the
// officer's `officer show` alike.
func (p *tablePrinter) checklist(items []*ruqiv1.CheckItemView) {
	if len(items) == 0 {
		return
	}
	p.println("\n检查事项：")
	t := newTable("编号", "检查事项", "执法部门", "依据", "领域")
	retired := false
	for _, it := range items {
		agencies := it.GetAgencyId()
		if len(it.GetAgencyIds()) > 1 {
			agencies = joinIDs(it.GetAgencyIds())
		}
		name := it.GetName()
		if it.GetRetired() {
			name += "（已停用）"
			retired = true
		}
		t.add(it.GetCheckItemId(), name, agencies, orDash(domain.LegalBasisText(it.GetLegalBasis())), orDash(it.GetDomain()))
	}
	t.write(p.out)
	if retired {
		p.println("标为已停用的事项报备后已从检查事项清单中取消，不应再检查（清单之外无检查）。")
	}
}

func (p *tablePrinter) Scan(r *ruqiv1.ScanCodeResponse) {
	valid := r.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID
	result := "核验通过"
	view := r.GetInspection()
	if valid && r.GetVisitRefusedAt() != nil {
		result = "核验通过（入企码有效），但本企业已拒绝这次" + domain.VisitWord(view.GetVisitKind())
		if view != nil && view.GetRefusedAt() == nil {
			// Refused by another agency's code of the visit: the
			// state line says it too.
			view = proto.CloneOf(view)
			view.RefusedAt = r.GetVisitRefusedAt()
		}
	}
	if !valid {
		result = "核验未通过：" + verdictLabel(r.GetVerdict())
	}
	checkIn := ""
	if valid {
		if r.GetFirstCheckIn() {
			checkIn = "首次签到（" + fmtTime(r.GetCheckedInAt()) + "）"
		} else {
			checkIn = "重复扫码（同一次签到，签到于 " + fmtTime(r.GetCheckedInAt()) + "）"
		}
	}
	presenter := r.GetOfficerId()
	for _, o := range view.GetOfficers() {
		if o.GetOfficerId() == presenter && o.GetName() != "" {
			// By name, as the page shows the presenter (an officer's
			// trial of the CLI, 2026-12-07: 出示人 O-0001).
			presenter = o.GetName() + "（" + presenter + "）"
		}
	}
	fields(p.out,
		kv("核验结果", result),
		kv("说明", r.GetMessage()),
		kv("出示人", presenter),
		kv("签到", checkIn),
	)
	if !valid {
		p.println("企业有权拒绝接受此次检查（ruqi company refuse）。")
	}
	if view != nil {
		p.println()
		p.inspectionView(view)
	}
}

func (p *tablePrinter) OfflineScan(r offlineResult) {
	p.println(offlineNotice)
	p.println()
	result := "签名与时间核验通过"
	if r.Verdict != ruqiv1.Verdict_VERDICT_VALID {
		result = "核验未通过：" + verdictLabel(r.Verdict)
	}
	fields(p.out,
		kv("核验结果", result),
		kv("说明", r.Message),
		kv("签名密钥", r.KeyID),
	)
	c := r.Claims
	if c == nil {
		return
	}
	p.println()
	fields(p.out,
		kv("报备编号", c.InspectionID),
		kv("执法人员", c.OfficerID),
		kv("执法证号", c.CertificateNumber),
		kv("被检查企业", c.EnterpriseUSCC),
		kv("有效期", fmtClockTime(c.NotBefore)+" 至 "+fmtClockTime(c.Expiry)+"（北京时间）"),
		kv("签发方", c.Issuer),
		kv("签发时间", fmtClockTime(c.IssuedAt)),
		kv("令牌编号", hex.EncodeToString(c.TokenID)),
	)
}

func (p *tablePrinter) Refused(r *ruqiv1.RefuseInspectionResponse) {
	if seq := r.GetEventSeq(); seq > 0 {
		p.printf("已记录拒绝检查（事件序号 %d）。\n", seq)
	} else {
		// On PostgreSQL the event is numbered by the sequencer a moment
		// after the step commits; the receipt will carry its number.
		p.println("已记录拒绝检查（事件几秒内入日志，可用 ruqi receipt get 取回存证）。")
	}
	if id := r.GetLeadId(); id != "" {
		p.printf("问题线索编号：%s（已转司法局核查）\n", id)
	}
	if r.GetAdvisory() {
		p.println()
		p.println(advisoryBanner)
		p.printf("⚠ 请注意：%s\n", advisoryMessage(r))
		p.println(advisoryBanner)
		return
	}
	if m := r.GetMessage(); m != "" {
		p.printf("说明：%s\n", m)
	}
}

func (p *tablePrinter) History(r *ruqiv1.ListInspectionsResponse) {
	years := fmt.Sprintf("今年被检查%d次，去年%d次。", r.GetThisYear(), r.GetLastYear())
	// 综合查一次: several agencies' inspections in one visit (a server
	// before 2026-12-06 sends no visit counts).
	if r.GetVisitsThisYear()+r.GetVisitsLastYear() > 0 && (r.GetVisitsThisYear() != r.GetThisYear() || r.GetVisitsLastYear() != r.GetLastYear()) {
		years = fmt.Sprintf("今年被检查%d次（入企%d次），去年%d次（入企%d次）。", r.GetThisYear(), r.GetVisitsThisYear(), r.GetLastYear(), r.GetVisitsLastYear())
	}
	if len(r.GetInspections()) == 0 {
		p.println("没有检查记录。")
		if r.GetThisYear() != 0 || r.GetLastYear() != 0 {
			p.println(years)
		}
		return
	}
	// The latest visit first, as the page /history lists them, the plans
	// of one joint visit together: the service lists by id, whose suffix
	// is random within a day, and printed a visit between the two plans of
	// another.
	views := slices.Clone(r.GetInspections())
	domain.SortVisitsLatestFirst(views)
	t := newTable("报备编号", "执法部门", "检查类型", "检查时间", "状态", "签到时间", "事项数", "评价")
	toEvaluate := 0
	for _, v := range views {
		var agencies []string
		for _, a := range v.GetAgencies() {
			agencies = append(agencies, orDash(a.GetName()))
		}
		agency, items := orDash(joinIDs(agencies)), len(v.GetCheckItems())
		// A joint visit is listed once per agency's plan, each evaluated on
		// its own: the row names its plan's agency, not every agency of the
		// visit on each row alike (a walk through joint visits, 2026-12-06).
		if len(v.GetAgencies()) > 1 && v.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			for _, a := range v.GetAgencies() {
				if a.GetId() == v.GetAgencyId() {
					agency = orDash(a.GetName()) + fmt.Sprintf("（联合检查，共%d个部门）", len(v.GetAgencies()))
				}
			}
			// The lines of the 一表通查 this agency checks.
			items = 0
			for _, it := range v.GetCheckItems() {
				if it.GetAgencyId() == v.GetAgencyId() || slices.Contains(it.GetAgencyIds(), v.GetAgencyId()) {
					items++
				}
			}
		}
		state := inspectionStateLabel(v.GetState())
		if st := domain.RefusedState(v); st != "" {
			state = st
		}
		if v.GetLate() {
			state += "（事后补录）"
		}
		evaluated := "-"
		switch {
		case v.GetEvaluated():
			evaluated = "已评价"
		case v.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
			evaluated = "待评价"
			toEvaluate++
		}
		typ := inspectionTypeLabel(v.GetType())
		if !domain.IsInspection(v.GetVisitKind()) {
			typ = domain.VisitKindLabel(v.GetVisitKind()) + "（非行政检查）"
		}
		t.add(v.GetInspectionId(), agency, typ,
			fmtWindow(v.GetWindowStart(), v.GetWindowEnd()), state,
			fmtTime(v.GetCheckedInAt()), strconv.Itoa(items), evaluated)
	}
	t.write(p.out)
	p.printf("共 %d 次。\n%s\n", len(r.GetInspections()), years)
	p.historyResults(views)
	if toEvaluate > 0 {
		p.println()
		p.printf("有 %d 次已办结的检查待评价：ruqi company evaluate --inspection 报备编号 …\n", toEvaluate)
	}
}

func (p *tablePrinter) PublicKeys(r *ruqiv1.ListPublicKeysResponse, source string) {
	if len(r.GetKeys()) == 0 {
		p.println("没有公钥。")
	} else {
		t := newTable("密钥编号", "算法", "状态", "创建时间", "退役时间", "核验截止")
		for _, k := range r.GetKeys() {
			t.add(k.GetKeyId(), orDash(k.GetAlgorithm()), keyStatusLabel(k.GetStatus()),
				fmtTime(k.GetCreatedAt()), fmtTime(k.GetRetiredAt()), fmtTime(k.GetVerifyUntil()))
		}
		t.write(p.out)
	}
	if k := r.GetLogKey(); k != "" {
		// What a witness is told (ruqi witness serve --log-key) and offline
		// checks of receipts use.
		p.println("日志公钥：" + k)
	}
	if w := strings.TrimSpace(r.GetWitnessPolicy()); w != "" {
		// What receipt verify --witness-policy checks against, and what
		// keys fetch keeps for it: shown too when read from the cache
		// (--cached), where it was left out before.
		p.println("见证策略：")
		for _, line := range strings.Split(w, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				p.println("  " + line)
			}
		}
	}
	if source != "" {
		p.println(source)
	}
}

func (p *tablePrinter) Imported(d *ruqiv1.Directory, r *ruqiv1.ImportDirectoryResponse) {
	if d.GetSample() {
		p.println("已导入名录（样例数据）。")
	} else {
		p.println("已导入名录。")
	}
	enterprises := strconv.Itoa(int(r.GetEnterprises()))
	if n := r.GetEnterprises(); n > 0 && r.GetEnterprisesCompared() {
		// What the import changed, beside what it was sent: a province's
		// monthly update is mostly enterprises held as they were.
		enterprises += fmt.Sprintf("（新增 %d，变更 %d，未变 %d", r.GetEnterprisesAdded(), r.GetEnterprisesChanged(),
			n-r.GetEnterprisesAdded()-r.GetEnterprisesChanged()-r.GetEnterprisesRepeated())
		if rep := r.GetEnterprisesRepeated(); rep > 0 {
			enterprises += fmt.Sprintf("，同批重复 %d", rep)
		}
		enterprises += "）"
	}
	officers := strconv.Itoa(int(r.GetOfficers()))
	if n := r.GetOfficers(); n > 0 && r.GetOfficersCompared() {
		// A move or a new certificate number is a change: the summary
		// said only how many were sent (a trial of sign-in, 2026-12-07).
		officers += fmt.Sprintf("（新增 %d，变更 %d，未变 %d）", r.GetOfficersAdded(), r.GetOfficersChanged(), n-r.GetOfficersAdded()-r.GetOfficersChanged())
	}
	fields(p.out,
		kv("执法部门", strconv.Itoa(int(r.GetAgencies()))),
		kv("执法人员", officers),
		kv("企业", enterprises),
		kv("检查事项", strconv.Itoa(int(r.GetCheckItems()))),
	)
}

// Token prints the token alone on the last line, so that a script can take
// it with tail -n 1.
func (p *tablePrinter) Token(req *ruqiv1.IssueAccessTokenRequest, r *ruqiv1.IssueAccessTokenResponse) {
	role := "" // a rotation's answer names no role: no line, rather than "-"
	if req.GetRole() != ruqiv1.Role_ROLE_UNSPECIFIED {
		role = roleLabel(req.GetRole())
	}
	fields(p.out,
		kv("角色", role),
		kv("主体", req.GetSubject()),
		kv("说明", req.GetDescription()),
		kv("令牌编号", r.GetTokenId()),
		kv("有效期至", fmtTime(r.GetExpiresAt())),
	)
	p.println("令牌只显示这一次，服务器只保存其哈希，请妥善保存：")
	p.println(r.GetToken())
}

func (p *tablePrinter) Rotated(r *ruqiv1.RotateSigningKeyResponse) {
	k := r.GetActive()
	p.println("已轮换签名密钥，新入企码将由新密钥签发；旧密钥在其签发的入企码到期前仍可用于核验。")
	fields(p.out,
		kv("密钥编号", k.GetKeyId()),
		kv("算法", k.GetAlgorithm()),
		kv("状态", keyStatusLabel(k.GetStatus())),
		kv("创建时间", fmtTime(k.GetCreatedAt())),
	)
	p.println("离线核验的设备请重新运行 ruqi keys fetch。")
}

func (p *tablePrinter) Tokens(r *ruqiv1.ListAccessTokensResponse) {
	if len(r.GetTokens()) == 0 {
		p.println("没有令牌。")
		return
	}
	kinds := map[string]string{"": "签发", "session": "登录会话", "device": "登记的设备", "enrolment": "设备登记码", "spent-sign-in": "已兑换的登录"}
	t := newTable("令牌编号", "来历", "说明", "签发时间", "到期时间", "吊销时间")
	for _, k := range r.GetTokens() {
		kind, ok := kinds[k.GetKind()]
		if !ok {
			kind = k.GetKind()
		}
		expires := "永不过期"
		if k.GetExpiresAt() != nil {
			expires = fmtTime(k.GetExpiresAt())
		}
		revoked := "-"
		if k.GetRevokedAt() != nil {
			revoked = fmtTime(k.GetRevokedAt())
		}
		t.add(k.GetTokenId(), kind, orDash(strings.TrimSpace(k.GetDescription()+" "+k.GetLabel())), fmtTime(k.GetCreatedAt()), expires, revoked)
	}
	t.write(p.out)
}

func (p *tablePrinter) Events(r *ruqiv1.ListEventsResponse) {
	if len(r.GetEvents()) == 0 {
		if next := r.GetNextAfterSeq(); next != 0 {
			p.println(fmt.Sprintf("查到序号 %d 为止没有符合条件的事件（服务器每次只查一段）；继续查找：加 --after %d。", next, next))
			return
		}
		p.println("没有事件。")
		return
	}
	defer func() {
		if next := r.GetNextAfterSeq(); next != 0 {
			p.println(fmt.Sprintf("还有更多事件；继续查看：加 --after %d。", next))
		}
	}()
	t := newTable("序号", "时间", "事件", "操作人", "报备编号", "企业", "执法人员", "说明")
	for _, e := range r.GetEvents() {
		t.add(strconv.FormatUint(e.GetSeq(), 10), fmtTimeSeconds(e.GetTime()), domain.EventTypeLabel(e.GetType()),
			orDash(domain.ActorLabel(e.GetActor())), orDash(e.GetInspectionId()), orDash(e.GetEnterpriseUscc()),
			orDash(e.GetOfficerId()), orDash(eventDetailLabel(e.GetType(), e.GetDetail())))
	}
	t.write(p.out)
}

func (p *tablePrinter) LogVerified(r *ruqiv1.VerifyEventLogResponse) {
	state := "完好"
	broken := ""
	if !r.GetIntact() {
		state = "已损坏"
		broken = strconv.FormatUint(r.GetFirstBrokenSeq(), 10)
	}
	fields(p.out,
		kv("事件数", strconv.FormatUint(r.GetEvents(), 10)),
		kv("哈希链", state),
		kv("首个损坏序号", broken),
		kv("链头哈希", hex.EncodeToString(r.GetHeadHash())),
		kv("最新签名检查点", strconv.FormatUint(r.GetCheckpointSize(), 10)),
		kv("与检查点相符", checkpointState(r)),
		kv("核对的记录", strconv.FormatUint(r.GetRecordsChecked(), 10)),
		kv("旧格式事件", legacyState(r)),
	)
	if d := r.GetRecordsDiffering(); len(d) > 0 {
		p.println()
		p.println("与日志不符的记录：")
		t := newTable("序号", "事件", "报备编号")
		for _, x := range d {
			t.add(strconv.FormatUint(x.GetSeq(), 10), domain.EventTypeLabel(x.GetType()), x.GetInspectionId())
		}
		t.write(p.out)
	}
}

// legacyState says how many events are of hash versions 1 and 2, whose own
// hash leaves out their time and type, and whether they are sealed.
func legacyState(r *ruqiv1.VerifyEventLogResponse) string {
	n, late := r.GetLegacyEvents(), r.GetLegacyLate()
	switch {
	case n == 0:
		return "无"
	case r.GetLegacySealedAt() == 0:
		return fmt.Sprintf("%d 条（时间和类型不在其哈希之内，尚未封存）", n)
	case late > 0:
		// Written after the upgrade by an older replica: the seal, which
		// covers those before the first new-format event, does not cover
		// them (an upgrade trial, 2026-12-07: all were said sealed).
		return fmt.Sprintf("%d 条（时间和类型不在其哈希之内）：%d 条由第 %d 条事件封存；另有 %d 条写于升级之后（第 %d 条起，旧版本的副本所写，违反升级规则），未封存",
			n, n-late, r.GetLegacySealedAt(), late, r.GetFirstLegacyLate())
	default:
		return fmt.Sprintf("%d 条（时间和类型不在其哈希之内，由第 %d 条事件封存）", n, r.GetLegacySealedAt())
	}
}

func checkpointState(r *ruqiv1.VerifyEventLogResponse) string {
	if r.GetCheckpointMatches() {
		return "是"
	}
	if r.GetCheckpointProblem() == "" {
		return "尚无签名检查点"
	}
	return "否：" + r.GetCheckpointProblem()
}

// fmtDate shows a timestamp's date in Asia/Shanghai; "-" if unset.
func fmtDate(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(shanghai).Format("2006-01-02")
}

// fmtClockTime shows a time.Time in Asia/Shanghai to the minute.
func fmtClockTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(shanghai).Format(minuteLayout)
}

// typeLabelOf is the inspection type, or that there is none: a visit that is
// not an inspection.
func typeLabelOf(k ruqiv1.VisitKind, t ruqiv1.InspectionType) string {
	if !domain.IsInspection(k) {
		return "无（非行政检查）"
	}
	return inspectionTypeLabel(t)
}

func (p *tablePrinter) Upcoming(r *ruqiv1.ListUpcomingVisitsResponse) {
	if len(r.GetVisits()) == 0 {
		p.println("暂无检查预告。")
		return
	}
	p.printf("检查预告：%d 次入企\n\n", len(r.GetVisits()))
	t := newTable("报备编号", "入企类型", "检查类型", "执法部门", "时段", "检查事项", "状态")
	for _, v := range r.GetVisits() {
		var agencies, items []string
		for _, a := range v.GetAgencies() {
			agencies = append(agencies, a.GetName())
		}
		for _, it := range v.GetCheckItems() {
			items = append(items, domain.LineName(it))
		}
		itemText := strings.Join(items, "；")
		if !domain.IsInspection(v.GetVisitKind()) {
			itemText = "无（非行政检查，不得检查）"
		}
		state := domain.UpcomingState(v)
		t.add(v.GetInspectionId(), domain.VisitKindLabel(v.GetVisitKind()), typeLabelOf(v.GetVisitKind(), v.GetType()),
			orDash(strings.Join(agencies, "、")), fmtWindow(v.GetWindowStart(), v.GetWindowEnd()), orDash(itemText), state)
	}
	t.write(p.out)
}
