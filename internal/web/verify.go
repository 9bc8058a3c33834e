package web

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// verifyData is the verify page.
type verifyData struct {
	Token    string // canonical (upper case), for the forms' actions
	Banner   *banner
	SignedIn bool
	// ConfirmScan: signed in, but the page was opened from another site,
	// so it has not scanned; a button does.
	ConfirmScan bool
	OIDC        bool // the provider's sign-in is offered
	// Who is the signed-in enterprise and the credential that scanned;
	// Presenter the officer who showed the code.
	Who, ScannedBy, Presenter string
	CSRF                      string
	// RequestID makes the refusal form idempotent: submitting it twice is
	// one refusal.
	RequestID string
	// SignIn is a problem with the last sign-in, or a signed-out session.
	SignIn string
	// CheckIn says that the check-in was recorded, first or repeat.
	CheckIn string
	// Mutual is 两码互核 for this officer, in the enterprise's words.
	Mutual string
	// Receipt says whether the check-in's receipt (存证) is in the log yet;
	// ReceiptLink downloads it.
	Receipt, ReceiptLink string
	Valid                bool
	Insp                 *inspectionData
	Offline              *offlineData
	Notice               string // something the page could not do, e.g. the keys
	// Unreachable: signed in, but the scan could not be recorded (the
	// store out of reach); the page shows the signature check alone.
	Unreachable bool
	// Evaluate: the visit is over, and the page offers its evaluation
	// instead of a refusal (offersEvaluation); Evaluated: the enterprise
	// has given it, and the page says so instead of the form.
	Evaluate, Evaluated bool
}

type inspectionData struct {
	// NotInspection is set for a visit that is not an inspection (日常巡查,
	// 政策宣传, 走访调研, 服务): Kind names it, Warning says nothing may be
	// inspected.
	NotInspection bool
	Kind, Warning string
	// ID is the code's own plan, which the enterprise evaluates and
	// complains about; IDs lists every plan of the visit, for people.
	ID, IDs string
	// Agency names the agency of the code's plan: in a joint visit the
	// evaluation is of its part.
	Agency   string
	JointID  string
	Agencies []agencyData
	Officers []officerData
	Items    []itemData
	Window   string
	Type     string
	Reason   string
	State    string
	Late     bool
	Results  []string
	// Supervisors accompany the visit for the 司法局 (伴随监督人员): shown
	// apart from the officers, because they do not inspect.
	Supervisors []string
	DrawID      string
}

type agencyData struct {
	Name, ID string
	Lead     bool
}

type officerData struct {
	Name, Agency, Certificate, Status, ValidUntil string
	Valid                                         bool
}

type itemData struct {
	Name, Basis, Domain, Agencies string
	Retired                       bool // taken off the catalogue since the registration
}

// offlineData is what the signature alone says, before sign-in.
type offlineData struct {
	Genuine      bool
	Signature    string
	InWindow     bool
	Timing       string
	Window       string
	InspectionID string
	OfficerID    string
	Certificate  string
	USCC         string
	// Names from KeyService.DescribeCode, for a genuine code in its window;
	// empty otherwise, and the page shows the ids.
	OfficerName, AgencyName, EnterpriseName string
}

// verdictTitles are the banner's short words for each verdict; the
// service's message below them says what it means and what to do.
var verdictTitles = map[ruqiv1.Verdict]string{
	ruqiv1.Verdict_VERDICT_VALID:               "有效：已报备的检查",
	ruqiv1.Verdict_VERDICT_BAD_SIGNATURE:       "无效：入企码被伪造或篡改",
	ruqiv1.Verdict_VERDICT_UNKNOWN_KEY:         "无效：不是本系统签发的入企码",
	ruqiv1.Verdict_VERDICT_NOT_YET_VALID:       "无效：未到检查时段",
	ruqiv1.Verdict_VERDICT_EXPIRED:             "无效：入企码已过期",
	ruqiv1.Verdict_VERDICT_CANCELLED:           "无效：检查已被撤销",
	ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE:    "无效：不是本企业的检查",
	ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID: "无效：执法人员不能实施此检查",
	ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION:  "无效：无此报备记录",
	ruqiv1.Verdict_VERDICT_CLOSED:              "无效：检查已办结",
	ruqiv1.Verdict_VERDICT_MALFORMED:           "无效：不是入企码",
	ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS:    "无效：持证执法人员不足2名",
}

var inspectionTypes = map[ruqiv1.InspectionType]string{
	ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE: "日常检查",
	ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:  "双随机抽查",
	ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL: "专项检查",
	ruqiv1.InspectionType_INSPECTION_TYPE_CASE:    "个案检查",
}

var inspectionStates = map[ruqiv1.InspectionState]string{
	ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED: "已报备",
	ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:  "已撤销",
	ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:  "已办结",
}

var certificateStates = map[ruqiv1.CertificateStatus]string{
	ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:    "在用",
	ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED: "暂扣",
	ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:   "注销",
}

// beijing formats a time for the page: Beijing time, to the minute.
func beijing(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return domain.FormatTime(ts.AsTime())
}

func window(from, to time.Time) string {
	return domain.FormatTime(from) + " 至 " + domain.FormatTime(to) + "（北京时间）"
}

// verify is the page the QR opens. Signed in as an enterprise it scans the
// code through EnterpriseService.ScanCode, which records the check-in on a
// valid code; signed out it states what the signature alone can say.
//
// A GET that records something is deliberate: opening the QR link is the
// scan (扫码即核验). It is harmless to repeat (a repeat scan is the same
// check-in). But the SameSite=Lax cookie also goes with a navigation that
// another site starts (a link, a redirect), and the check-in would be
// recorded before the person sees anything: someone could have a code
// "scanned" by luring the enterprise's phone to a page. So a GET that
// another site started (Sec-Fetch-Site cross-site or same-site) only shows
// what the signature says, with a button that scans (scanConfirmed); the
// camera, a typed or pasted link and this site's own links (none,
// same-origin) scan at once.
func (s *server) verify(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	d := verifyData{Token: tok, SignIn: signInProblems[r.URL.Query().Get("signin")], OIDC: s.cfg.Identity != nil}
	ctx, cancel := s.callContext(r)
	defer cancel()

	sess := sessionToken(r, enterpriseCookie)
	if sess == "" {
		s.renderOffline(w, ctx, d)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		d.SignedIn, d.CSRF, d.RequestID, d.ConfirmScan = true, csrfToken(sess), newRequestID(), true
		s.renderOffline(w, ctx, d)
		return
	}
	s.scan(w, r, ctx, d, sess)
}

// scanConfirmed is the button of a verify page that another site opened:
// a form of this site, with its CSRF token, that scans.
func (s *server) scanConfirmed(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	sess, ok := s.enterpriseForm(w, r, "/V/"+tok)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	s.scan(w, r, ctx, verifyData{Token: tok, OIDC: s.cfg.Identity != nil}, sess)
}

// pathToken is the code in a verify page's path, upper-cased. One far
// longer than any code is answered without being repeated on the page.
func pathToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok := strings.ToUpper(r.PathValue("token"))
	if len(tok) > maxPathToken {
		render(w, http.StatusBadRequest, "result", "不是入企码", resultData{
			Banner: badBanner("无效：不是入企码", "这不是本系统的入企码（过长）。企业有权拒绝检查。"), Back: "/", BackTo: "返回首页"})
		return "", false
	}
	return tok, true
}

// maxPathToken is far beyond a code's token (about 360 characters).
const maxPathToken = 2048

// scan scans the code as the signed-in enterprise and shows the verdict.
func (s *server) scan(w http.ResponseWriter, r *http.Request, ctx context.Context, d verifyData, sess string) {
	tok := d.Token
	resp, err := s.ent.ScanCode(as(ctx, sess), &ruqiv1.ScanCodeRequest{Code: tok})
	switch status.Code(err) {
	case codes.OK:
	case codes.Unauthenticated, codes.PermissionDenied:
		// The token was revoked since sign-in (or is not an enterprise's):
		// sign out and fall back to what can be said without one.
		clearSession(w, r, enterpriseCookie)
		d.SignIn = signInProblems["expired"]
		if status.Code(err) == codes.PermissionDenied {
			d.SignIn = signInProblems["not-enterprise"]
		}
		s.renderOffline(w, ctx, d)
		return
	case codes.InvalidArgument:
		d.SignedIn, d.CSRF, d.RequestID = true, csrfToken(sess), newRequestID()
		d.Banner = badBanner("无效：不是入企码", apiMessage(err)+" 企业有权拒绝检查。")
		render(w, http.StatusBadRequest, "verify", "入企码核验", d)
		return
	case codes.Unavailable, codes.DeadlineExceeded:
		// At the door the enterprise still learns what the signature
		// says, as a visitor not signed in does, and that the check-in
		// was not recorded: a signed-in phone got less than a signed-out
		// one (a trial of the pages, 2026-12-05).
		d.Unreachable = true
		d.Notice = "系统暂时无法核对报备记录（" + apiMessage(err) + "），本次扫码签到未能记录。下方仅为签名核验：签名真实只说明入企码由本系统签发，不能说明已经报备、是本企业的检查。可请执法人员稍候，再点“重新核验”。"
		s.renderOffline(w, ctx, d)
		return
	default:
		render(w, httpStatus(err), "result", "核验失败", resultData{
			Banner: waitBanner("暂时无法核验", apiMessage(err)), Back: "/V/" + tok, BackTo: "重新核验"})
		return
	}
	d.SignedIn, d.CSRF, d.RequestID = true, csrfToken(sess), newRequestID()
	d.Valid = resp.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID
	title := verdictTitles[resp.GetVerdict()]
	if title == "" {
		title = "无效"
	}
	if d.Valid && !domain.IsInspection(resp.GetInspection().GetVisitKind()) {
		title = "有效：已报备的" + domain.VisitKindLabel(resp.GetInspection().GetVisitKind()) + "（非行政检查）"
	}
	if d.Valid {
		d.Banner = okBanner(title, resp.GetMessage())
		if resp.GetVisitRefusedAt() != nil {
			// Refused by this enterprise before: the code is genuine, but
			// not a green "please cooperate" (the message says so).
			d.Banner = &banner{Class: "wait", Icon: "!", Title: "入企码有效，但本企业已拒绝这次" + domain.VisitWord(resp.GetInspection().GetVisitKind()), Detail: resp.GetMessage()}
		}
		at := beijing(resp.GetCheckedInAt())
		if resp.GetFirstCheckIn() {
			d.CheckIn = "已核验并记录入企签到：首次扫码，签到时间 " + at + "（北京时间）。"
		} else {
			d.CheckIn = "已核验并记录入企签到：此码已于 " + at + "（北京时间）签到，本次为重复扫码，不重复计次。"
		}
		d.Mutual = mutualNotes[resp.GetMutual()]
		d.Receipt, d.ReceiptLink = s.receiptNote(ctx, sess, tok, resp.GetInspection().GetInspectionId(), resp.GetOfficerId(), true)
	} else {
		d.Banner = badBanner(title, resp.GetMessage())
		if resp.GetVerdict() == ruqiv1.Verdict_VERDICT_CLOSED && resp.GetInspection() != nil {
			// The enterprise comes back after the visit to read the result
			// and evaluate: not a failure in red, but what stands, and
			// that the code admits no one again (a trial on a phone,
			// 2026-12-06: a red 核验未通过 over a result 1.8 screens down).
			d.Banner = &banner{Class: "wait", Icon: "!", Title: "检查已办结",
				Detail: "这次检查已经办结，检查结果见下方。此码不能再用于入企：如有人再次出示此码要求检查，企业有权拒绝。"}
		}
		if resp.GetLateRecord() && !resp.GetByDevice() {
			// A visit recorded after the fact, its window over when it was
			// registered: the enterprise reads the record, not a red
			// failure (the scan opens no lead either: inspection.Scan). A
			// staff phone at the door is shown the failure, and a lead is
			// opened.
			d.Banner = &banner{Class: "wait", Icon: "!", Title: "事后补录的检查",
				Detail: "这次检查是事后补录的紧急检查，已报送司法局；补录时检查时段已过，此码不能再用于入企：如有人再次出示此码要求检查，企业有权拒绝。"}
		}
		if v := resp.GetVerdict(); (v == ruqiv1.Verdict_VERDICT_CLOSED || v == ruqiv1.Verdict_VERDICT_EXPIRED) && resp.GetInspection() != nil {
			// After the visit the enterprise comes back to read the
			// result and evaluate: the proof of the check-in is offered
			// still (a trial of the pages on a phone, 2026-12-06, found it
			// gone just when the enterprise would keep it).
			d.Receipt, d.ReceiptLink = s.receiptNote(ctx, sess, tok, resp.GetInspection().GetInspectionId(), resp.GetOfficerId(), false)
		}
	}
	if v := resp.GetInspection(); v != nil {
		d.Insp = inspectionOf(v)
		if resp.GetVisitRefusedAt() != nil {
			d.Insp.State = "企业已拒绝" // another agency's part of the visit, too
		}
		for i, o := range v.GetOfficers() {
			if o.GetOfficerId() == resp.GetOfficerId() {
				d.Presenter = o.GetName() + "（执法证号 " + o.GetCertificateNumber() + "）"
				d.Insp.Agency = d.Insp.Officers[i].Agency
			}
		}
	}
	d.Who, d.ScannedBy = resp.GetEnterpriseName(), resp.GetScannedBy()
	// The front desk (a staff phone) evaluates nothing; at the door it is
	// offered the refusal of a code shown again (a review, 2026-12-06: the
	// page told it it could refuse and offered only the evaluation).
	d.Evaluate = offersEvaluation(resp.GetVerdict(), d.Insp) && !resp.GetByDevice()
	d.Evaluated = d.Evaluate && resp.GetInspection().GetEvaluated()
	render(w, http.StatusOK, "verify", "入企码核验", d)
}

// inspectionOf turns the scan's view into the page's words. The service
// already orders agencies lead first and merges the joint checklist.
func inspectionOf(v *ruqiv1.InspectionView) *inspectionData {
	d := &inspectionData{ID: v.GetInspectionId(), JointID: v.GetJointInspectionId(),
		Window: window(v.GetWindowStart().AsTime(), v.GetWindowEnd().AsTime()),
		Type:   inspectionTypes[v.GetType()], Reason: v.GetReason(), State: inspectionStates[v.GetState()], Late: v.GetLate(),
		Kind: domain.VisitKindLabel(v.GetVisitKind())}
	if refused := domain.RefusedState(v); refused != "" {
		d.State = refused
	}
	if !domain.IsInspection(v.GetVisitKind()) {
		d.NotInspection, d.Type, d.Warning = true, d.Kind+"（非行政检查）", domain.NotInspectionMessage(v.GetVisitKind())
	}
	d.IDs = d.ID
	if len(v.GetInspectionIds()) > 1 {
		// For the 检查编号 line only: the forms post the code's own plan (a
		// trial of a county's 综合查一次, 2026-12-06: the joined list was
		// posted, and no part of a joint visit could be evaluated).
		d.IDs = strings.Join(v.GetInspectionIds(), "、")
	}
	names := map[string]string{}
	for i, a := range v.GetAgencies() {
		names[a.GetId()] = a.GetName()
		lead := a.GetId() == v.GetLeadAgencyId() || (v.GetLeadAgencyId() == "" && i == 0)
		d.Agencies = append(d.Agencies, agencyData{Name: a.GetName(), ID: a.GetId(), Lead: lead && len(v.GetAgencies()) > 1})
	}
	nameOf := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	for _, o := range v.GetOfficers() {
		st := certificateStates[o.GetCertificateStatus()]
		switch {
		case o.GetCertificateStatus() == ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE && !o.GetCertificateValid():
			st = "已过期" // active, but past its date: not "无效（有效）"
		case st == "":
			st = "状态未知"
		}
		od := officerData{Name: o.GetName(), Agency: nameOf(o.GetAgencyId()), Certificate: o.GetCertificateNumber(), Valid: o.GetCertificateValid()}
		if o.GetCertificateValidUntil() != nil {
			od.ValidUntil = o.GetCertificateValidUntil().AsTime().In(domain.Shanghai).Format("2006-01-02")
		}
		if od.Valid {
			od.Status = "执法证有效"
		} else {
			od.Status = "执法证无效（" + st + "）"
		}
		d.Officers = append(d.Officers, od)
	}
	for _, s := range v.GetAccompanyingSupervisors() {
		d.Supervisors = append(d.Supervisors, s.GetName()+"（司法局 "+s.GetRegionCode()+"）")
	}
	d.DrawID = v.GetDrawId()
	for _, it := range v.GetCheckItems() {
		// As the CLI and the /plans page write it: 《法》条.
		basis := domain.LegalBasisText(it.GetLegalBasis())
		var ags []string
		for _, id := range it.GetAgencyIds() {
			ags = append(ags, nameOf(id))
		}
		if len(ags) == 0 {
			ags = append(ags, nameOf(it.GetAgencyId()))
		}
		d.Items = append(d.Items, itemData{Name: it.GetName(), Basis: basis, Domain: it.GetDomain(), Agencies: strings.Join(ags, "、"), Retired: it.GetRetired()})
	}
	itemName := domain.ItemNames(v.GetCheckItems())
	for _, res := range v.GetResults() {
		line := nameOf(res.GetAgencyId()) + "：" + res.GetSummary()
		if res.GetSummary() == "" {
			line = nameOf(res.GetAgencyId()) + "：已录入检查结果"
		}
		d.Results = append(d.Results, line)
		// Item by item, with what to rectify by when: the summary alone
		// told the enterprise nothing it had to do (a trial of the pages,
		// 2026-12-05).
		for _, it := range res.GetItems() {
			name := itemName[it.GetCheckItemId()]
			if name == "" {
				name = it.GetCheckItemId()
			}
			item := "　" + name + "：" + domain.ItemOutcomeLabel(it.GetOutcome())
			if dl := it.GetRectificationDeadline(); dl != nil {
				item += "，整改期限 " + dl.AsTime().In(domain.Shanghai).Format("2006-01-02")
			}
			if n := it.GetNote(); n != "" {
				item += "（" + n + "）"
			}
			d.Results = append(d.Results, item)
		}
	}
	return d
}

// renderOffline shows the page for someone not signed in: the sign-in
// form, and what the signature alone says, clearly marked as not yet
// checked against the registration.
func (s *server) renderOffline(w http.ResponseWriter, ctx context.Context, d verifyData) {
	off, err := s.offline(ctx, d.Token)
	httpCode := http.StatusOK
	switch {
	case errors.Is(err, code.ErrMalformed):
		d.Banner = badBanner("无效：不是入企码", "这不是本系统的入企码（无法解析）。企业有权拒绝检查。")
		httpCode = http.StatusBadRequest
	case err != nil:
		d.Banner = waitBanner("尚未核验", "登录后核验此入企码。")
		d.Notice = "暂时无法读取签名公钥，离线核验未进行：" + apiMessage(err)
	case !off.Genuine:
		d.Banner = badBanner("无效："+off.Signature, "此入企码的签名不符，不是本系统签发的有效入企码。企业有权拒绝检查。")
		d.Offline = &off
	case !off.InWindow:
		d.Banner = badBanner("无效："+off.Timing, "签名真实，但当前不在报备的检查时段内。企业有权拒绝检查。")
		d.Offline = &off
	default:
		d.Banner = waitBanner("签名真实，尚未核对报备", "请登录企业账号完成核验：是否已报备、是否为本企业的检查、执法证是否有效。")
		if d.Unreachable {
			d.Banner = waitBanner("签名真实，暂时无法核对报备", "系统暂时无法核对报备记录，扫码签到未能记录。请稍后重新核验。")
		}
		if d.ConfirmScan {
			d.Banner = waitBanner("签名真实，尚未核验", "此页面是从其他网站打开的，为防他人代为“扫码”，未自动核验。确认入企码是执法人员当面出示的，请点击“核验并记录签到”。")
		}
		// People read names, not ids: the service gives them for a
		// genuine code in its window, to anyone shown it.
		if names, err := s.keys.DescribeCode(ctx, &ruqiv1.DescribeCodeRequest{Code: d.Token}); err == nil {
			off.OfficerName, off.AgencyName, off.EnterpriseName = names.GetOfficerName(), names.GetAgencyName(), names.GetEnterpriseName()
		}
		d.Offline = &off
	}
	if d.Unreachable && httpCode == http.StatusOK {
		httpCode = http.StatusServiceUnavailable
	}
	render(w, httpCode, "verify", "入企码核验", d)
}

// offline checks the signature with the server's published keys
// (KeyService.ListPublicKeys, the same keys as /keys.json) and the window
// against the clock, as `ruqi company scan --offline` does. It trusts
// nothing else the code claims.
func (s *server) offline(ctx context.Context, tok string) (offlineData, error) {
	msg, err := code.DecodeToken(tok)
	if err != nil {
		return offlineData{}, err
	}
	resp, err := s.keys.ListPublicKeys(ctx, &ruqiv1.ListPublicKeysRequest{})
	if err != nil {
		return offlineData{}, err
	}
	pubs := map[string]ed25519.PublicKey{}
	for _, k := range resp.GetKeys() {
		if len(k.GetPublicKey()) == ed25519.PublicKeySize && code.KeyID(k.GetPublicKey()) == k.GetKeyId() {
			pubs[k.GetKeyId()] = k.GetPublicKey()
		}
	}
	_, c, err := code.Verify(msg, func(kid string) (ed25519.PublicKey, bool) { p, ok := pubs[kid]; return p, ok })
	var d offlineData
	switch {
	case err == nil:
		d.Genuine, d.Signature = true, "签名真实：由本系统签发"
	case errors.Is(err, code.ErrBadSignature):
		d.Signature = "签名无效（伪造或被篡改）"
		return d, nil
	case errors.Is(err, code.ErrUnknownKey):
		d.Signature = "签名密钥未知（不是本系统签发，或已过期很久）"
		return d, nil
	default:
		return d, err
	}
	now := s.now()
	d.Window = window(c.NotBefore, c.Expiry)
	d.InspectionID, d.OfficerID, d.Certificate, d.USCC = c.InspectionID, c.OfficerID, c.CertificateNumber, c.EnterpriseUSCC
	switch domain.TimeCode(c.NotBefore, c.Expiry, now, s.cfg.ClockLeeway) {
	case domain.CodeNotYetValid:
		d.Timing = "未到检查时段"
	case domain.CodeExpired:
		d.Timing = "已超出检查时段（入企码已过期）"
	default:
		d.InWindow, d.Timing = true, "当前在检查时段内"
	}
	return d, nil
}

// refuse records the enterprise's refusal (企业有权拒绝检查) through
// EnterpriseService.RefuseInspection, naming the inspection by the code
// shown; the service decides what the code proves.
func (s *server) refuse(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	back := "/V/" + tok
	sess, ok := s.enterpriseForm(w, r, back)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case domain.Blank(reason):
		render(w, http.StatusBadRequest, "result", "请填写理由", resultData{
			Banner: badBanner("未提交：请填写拒绝检查的理由", "例如：未出示入企码、入企码核验未通过、检查事项不在清单内。"), Back: back, BackTo: "返回核验页面"})
		return
	case domain.ValidateText("拒绝理由", reason, domain.MaxRefusalReason) != nil:
		render(w, http.StatusBadRequest, "result", "理由过长", resultData{
			Banner: badBanner("未提交：理由过长", fmt.Sprintf("拒绝检查的理由最多 %d 个字，请精简后重试。", domain.MaxRefusalReason)), Back: back, BackTo: "返回核验页面",
			Lines: kept(reason)})
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.RefuseInspection(as(ctx, sess), &ruqiv1.RefuseInspectionRequest{Code: tok, Reason: reason,
		RequestId: r.PostFormValue("request_id")})
	if sessionEndedKeeping(w, r, err, reason, back, "重新登录并返回核验页面") {
		return
	}
	if err != nil {
		render(w, httpStatus(err), "result", "拒绝未记录", resultData{
			Banner: badBanner("拒绝检查未能记录", apiMessage(err)), Back: back, BackTo: "返回核验页面", Lines: kept(reason)})
		return
	}
	// POST-redirect-GET: reloading the result page does not post again.
	q := url.Values{"lead": {resp.GetLeadId()}}
	if resp.GetAdvisory() {
		q.Set("advisory", "1")
	}
	if resp.GetReasonNotRecorded() {
		q.Set("again", "1")
	}
	http.Redirect(w, r, back+"/refused?"+confirmation(sess, "refused "+tok, q).Encode(), http.StatusSeeOther)
}

// refused shows a recorded refusal, after refuse's redirect. It reads only
// the lead id and the phase from the URL, never text to display.
func (s *server) refused(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	back := "/V/" + tok
	if !confirmed(r, "refused "+tok) {
		unconfirmed(w, back, "返回核验页面")
		return
	}
	// Again: the page said the new reason was recorded; it was not (a
	// trial of the pages, 2026-12-05).
	render(w, http.StatusOK, "result", "已拒绝检查", refusalRecorded(r, back, "返回核验页面",
		waitBanner("此前已拒绝过这次检查", "此前已记录拒绝检查，本次填写的理由未另行记录。如需补充情况，请向司法局反映。"),
		"（司法局可据此跟进；再次提交不会重复记录）"))
}

// refusalRecorded is the page of a recorded refusal, read from its
// confirmation's query: in a region's trial phase (advisory) said as
// advice, recorded before (again) said by again, and the lead's number,
// of the shape of one, with leadNote.
func refusalRecorded(r *http.Request, back, backTo string, again *banner, leadNote string) resultData {
	q := r.URL.Query()
	d := resultData{Banner: badBanner("已拒绝检查", "拒绝已记录在案，并作为问题线索报送司法局。"), Back: back, BackTo: backTo}
	if q.Get("advisory") == "1" {
		d.Banner = waitBanner("已记录拒绝（试运行阶段，仅作提示）", "试运行阶段：拒绝已记录在案并报送司法局，但目前仅作提示。")
	}
	if q.Get("again") == "1" {
		d.Banner = again
	}
	if lead := q.Get("lead"); domain.LeadIDShape.MatchString(lead) {
		d.Lines = append(d.Lines, "问题线索编号："+lead+leadNote)
	}
	return d
}

// unconfirmed answers a confirmation page whose link this browser's session
// did not make: it confirms nothing.
func unconfirmed(w http.ResponseWriter, back, backTo string) {
	render(w, http.StatusNotFound, "result", "未找到提交记录", resultData{
		Banner: badBanner("未找到这次提交", "此链接不是本浏览器提交后得到的确认页，不能说明任何事项已经记录。请登录后重新提交，或向司法局核实。"),
		Back:   back, BackTo: backTo})
}

// confirm acknowledges the check-in. It calls no RPC on purpose: the
// check-in was recorded by ScanCode when this page was opened (a valid
// scan is the record of entry, 全程留痕), and scanning again would only
// count a repeat. The POST and its CSRF token make the confirmation a
// deliberate act of the signed-in enterprise, not of a link.
func (s *server) confirm(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	back := "/V/" + tok
	if _, ok := s.enterpriseForm(w, r, back); !ok {
		return
	}
	render(w, http.StatusOK, "result", "已确认入企", resultData{
		Banner: okBanner("已确认入企", "入企签到已在扫码核验时记录，检查可以开始。"),
		Lines: []string{"检查结束后，执法部门录入结果，企业可在系统中查看并进行评价。",
			"如检查中出现与报备不符的事项，可随时返回核验页面拒绝检查。"},
		Back: back, BackTo: "返回核验页面"})
}

// enterpriseForm checks a POST from the verify page: signed in as an
// enterprise, with this session's CSRF token.
func (s *server) enterpriseForm(w http.ResponseWriter, r *http.Request, back string) (string, bool) {
	if !parseForm(w, r) {
		return "", false
	}
	sess := sessionToken(r, enterpriseCookie)
	if sess == "" {
		http.Redirect(w, r, back+"?signin=expired", http.StatusSeeOther)
		return "", false
	}
	if !validCSRF(sess, r.PostFormValue("csrf")) {
		// Back to the form's own page: "返回核验页面" led to /refuse and
		// /complain too (a review, 2026-12-07).
		backTo := "返回核验页面"
		if !strings.HasPrefix(back, "/V/") {
			backTo = "返回表单所在页面"
		}
		render(w, http.StatusForbidden, "result", "表单已失效", resultData{
			Banner: badBanner("未提交：表单已失效", signInProblems["form"]), Back: back, BackTo: backTo})
		return "", false
	}
	return sess, true
}

// verifyPath matches where the enterprise's sign-in may return to: a
// verify page or one of the enterprise's own pages (the history and the
// coming visits returned to the home page: a trial of sign-in, 2026-12-07).
// Anything else is not followed, so the form cannot be made into an open
// redirect.
var verifyPath = regexp.MustCompile(`^(/[Vv]/[A-Za-z2-7]+|/devices|/enterprise-code|/complain|/complain\?inspection=[A-Z0-9-]{1,64}|/refuse|/history|/upcoming|/leads)$`)

func safeNext(next string) string {
	if len(next) <= 8192 && verifyPath.MatchString(next) {
		return next
	}
	return "/"
}

// signIn signs an enterprise in with its access token. The token is tried
// on EnterpriseService.ListInspections, which only enterprises may call:
// the server, not this page, decides what the token is.
func (s *server) signIn(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	next := safeNext(r.PostFormValue("next"))
	fail := func(problem string) {
		// A verify page says the problem itself; the enterprise's other
		// pages send a visitor signed out home, where it is said, and the
		// next sign-in goes back to them (a review, 2026-12-07: a refused
		// token bounced through /history and read "登录已失效").
		http.Redirect(w, r, signInPage(next)+"signin="+url.QueryEscape(problem), http.StatusSeeOther)
	}
	tok, problem := cleanToken(r.PostFormValue("token"))
	if problem != "" {
		fail(problem)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err := s.ent.ListInspections(as(ctx, tok), &ruqiv1.ListInspectionsRequest{PageSize: 1})
	switch status.Code(err) {
	case codes.OK:
		if err := s.startSession(ctx, w, r, enterpriseCookie, tok); err != nil {
			fail(sessionProblem(err))
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	case codes.Unauthenticated:
		fail("invalid")
	case codes.PermissionDenied:
		fail("not-enterprise")
	default:
		fail("unavailable")
	}
}

func (s *server) signOut(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if sess := sessionToken(r, enterpriseCookie); sess != "" && !validCSRF(sess, r.PostFormValue("csrf")) {
		render(w, http.StatusForbidden, "result", "表单已失效", resultData{
			Banner: badBanner("未退出：表单已失效", signInProblems["form"]), Back: next, BackTo: "返回"})
		return
	}
	if err := s.endSession(r, enterpriseCookie); err != nil {
		signOutFailed(w, err, next)
		return
	}
	forgetPages(w)
	clearSession(w, r, enterpriseCookie)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// homeData is the start page: paste a code, sign in.
type homeData struct {
	SignedIn bool
	OIDC     bool
	CSRF     string
	SignIn   string
	Problem  string
	Code     string
	// Device is a front-desk phone signed in (bound), not the account.
	Device bool
	// Next is where a sign-in from this page returns: "/" or the
	// enterprise's page that sent a visitor signed out here.
	Next string
}

// signInPage is where a sign-in for next (a path safeNext let through) is
// asked for, with a query to which "signin=…" is appended: a verify page
// itself, else the home page carrying next.
func signInPage(next string) string {
	if strings.HasPrefix(next, "/V/") || strings.HasPrefix(next, "/v/") {
		return next + "?"
	}
	return "/?next=" + url.QueryEscape(next) + "&"
}

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	d := homeData{SignIn: signInProblems[r.URL.Query().Get("signin")], OIDC: s.cfg.Identity != nil, Next: safeNext(r.URL.Query().Get("next"))}
	if sess := sessionToken(r, enterpriseCookie); sess != "" {
		// Signed in only while the server still takes the session: the
		// home page offers the pages of an enterprise signed in, and no
		// way to sign in, to anyone who holds the cookie.
		device, err := s.probeSession(r, sess)
		if status.Code(err) == codes.Unauthenticated {
			clearSession(w, r, enterpriseCookie)
			d.SignIn = signInProblems["expired"]
		} else {
			d.SignedIn, d.CSRF = true, csrfToken(sess)
			// A front-desk phone's sign-out unbinds it, which the staff
			// member tapping 退出登录 was not told (a trial on a phone,
			// 2026-12-06); the pages it may not use are not offered.
			d.Device = device
		}
	}
	render(w, http.StatusOK, "home", "扫码入企 · 入企码核验", d)
}

// lookup takes a pasted code or QR URL and opens its verify page.
func (s *server) lookup(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("code")
	tok, err := code.ExtractToken(raw)
	if err != nil {
		d := homeData{Problem: "无法识别：" + err.Error() + "。请粘贴二维码中的网址或入企码。"}
		if utf8.RuneCountInString(raw) <= 200 {
			d.Code = raw
		}
		if sess := sessionToken(r, enterpriseCookie); sess != "" {
			d.SignedIn, d.CSRF = true, csrfToken(sess)
		}
		render(w, http.StatusBadRequest, "home", "扫码入企 · 入企码核验", d)
		return
	}
	http.Redirect(w, r, "/V/"+tok, http.StatusSeeOther)
}

// newRequestID is a fresh id for one rendering of a form.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
