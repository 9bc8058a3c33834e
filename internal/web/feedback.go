package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// After the visit the enterprise evaluates it (评价) and may complain (投诉)
// from its phone, as it verifies the code: both were in the command line
// only, and the enterprise that opened its code again after the visit read
// a red banner and a refusal form (a trial of the pages, 2026-12-05). The
// service decides whether an evaluation or a complaint is taken
// (domain.MayEvaluate, inspection.Complain); the pages only offer them.

// offersEvaluation reports whether the verify page offers the evaluation
// form after a scan with verdict v: the inspection is closed, or a visit
// that is not an inspection is over.
func offersEvaluation(v ruqiv1.Verdict, insp *inspectionData) bool {
	return insp != nil && (v == ruqiv1.Verdict_VERDICT_CLOSED || (v == ruqiv1.Verdict_VERDICT_EXPIRED && insp.NotInspection))
}

// evaluate is POST /V/{token}/evaluate: the enterprise's evaluation of the
// code's inspection.
func (s *server) evaluate(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	back := "/V/" + tok
	sess, ok := s.enterpriseForm(w, r, back)
	if !ok {
		return
	}
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	// Each question answered 是 or 否: checkboxes left unticked were
	// recorded as 否, so that a satisfied enterprise that gave a score only
	// told the 司法局 the certificate was not shown and the inspection not
	// proper (a trial as an enterprise, 2026-12-07). The command line asks
	// for each too.
	answers := map[string]bool{}
	for _, q := range []string{"certificate_shown", "rights_explained", "conducted_properly"} {
		switch r.PostFormValue(q) {
		case "1":
			answers[q] = true
		case "0":
			answers[q] = false
		default:
			render(w, http.StatusBadRequest, "result", "请回答三个问题", resultData{
				Banner: badBanner("未提交：请回答三个问题", "出示执法证、告知权利、检查规范，每个问题请选“是”或“否”。"), Back: back, BackTo: "返回核验页面",
				Lines: kept(comment)})
			return
		}
	}
	overall, err := strconv.Atoi(domain.NormalizeWidth(r.PostFormValue("overall")))
	if err != nil || domain.ValidateOverall(int32(overall)) != nil {
		render(w, http.StatusBadRequest, "result", "请选择总体满意度", resultData{
			Banner: badBanner("未提交：请选择总体满意度", "总体满意度为 1 至 5 分，5 分为最满意。"), Back: back, BackTo: "返回核验页面",
			Lines: kept(comment)})
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err = s.ent.EvaluateInspection(as(ctx, sess), &ruqiv1.EvaluateInspectionRequest{
		InspectionId:      r.PostFormValue("inspection"),
		CertificateShown:  answers["certificate_shown"],
		RightsExplained:   answers["rights_explained"],
		ConductedProperly: answers["conducted_properly"],
		Overall:           int32(overall),
		Comment:           comment,
	})
	if sessionEndedKeeping(w, r, err, comment, back, "重新登录并返回核验页面") {
		return
	}
	q := url.Values{}
	if errorReason(err) == "ALREADY_EVALUATED" {
		// Given before (a double tap on a slow network, a second tab):
		// what stands is the first, said as such, not as a failure (a
		// trial of the pages on a phone, 2026-12-06).
		q.Set("again", "1")
	} else if err != nil {
		render(w, httpStatus(err), "result", "评价未提交", resultData{
			Banner: badBanner("评价未提交", apiMessage(err)), Back: back, BackTo: "返回核验页面", Lines: kept(comment)})
		return
	}
	// POST-redirect-GET: reloading the result does not post again.
	http.Redirect(w, r, back+"/evaluated?"+confirmation(sess, "evaluated "+tok, q).Encode(), http.StatusSeeOther)
}

// evaluated shows that the evaluation was taken, to the session that gave
// it only (confirmation): the page said 评价已提交 to any browser for any
// code, a link an officer could send (a trial of the pages on a phone,
// 2026-12-06).
func (s *server) evaluated(w http.ResponseWriter, r *http.Request) {
	tok, ok := pathToken(w, r)
	if !ok {
		return
	}
	back := "/V/" + tok
	if !confirmed(r, "evaluated "+tok) {
		unconfirmed(w, back, "返回核验页面")
		return
	}
	d := resultData{Banner: okBanner("评价已提交", "感谢评价。评价对执法部门匿名：部门只看到按月汇总、至少三家企业的结果；司法局看得到是哪家企业的评价。"),
		Back: back, BackTo: "返回核验页面"}
	if r.URL.Query().Get("again") == "1" {
		d.Banner = waitBanner("此前已评价过这次检查", "每次检查只能评价一次：此前的评价已记录，本次填写的内容未另行记录。")
	}
	render(w, http.StatusOK, "result", "评价已提交", d)
}

// complainData is the complaint form.
type complainData struct {
	CSRF         string
	RequestID    string // the form submitted twice is one complaint
	InspectionID string // the inspection complained of, if any
	Description  string // kept when the form comes back with a problem
	Officer      string
	// Occurred is when it happened as typed (datetime-local, Beijing
	// time); empty means when the complaint is made. The picker has no
	// max: one set when the form was opened refused the minutes since, and
	// the service judges the time (OCCURRED_IN_FUTURE, with its leeway).
	Occurred string
	Problem  string
}

// occurredLayouts are datetime-local's values, with and without seconds.
var occurredLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseOccurred reads the form's 发生时间 in Beijing time; "" is unset.
// Whether the time may be recorded (not to come, not ten years ago) is
// the service's to say (domain.ValidateOccurred), as for the CLI's --at.
func parseOccurred(v string) (*timestamppb.Timestamp, bool) {
	if v == "" {
		return nil, true
	}
	for _, layout := range occurredLayouts {
		if at, err := time.ParseInLocation(layout, v, domain.Shanghai); err == nil {
			return timestamppb.New(at), true
		}
	}
	return nil, false
}

// complainForm is GET /complain: a complaint about an inspection
// (?inspection=ID, from its verify page) or about a visit without a code.
func (s *server) complainForm(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	// Asked before the form is typed, not after: an ended session was
	// shown the form and refused at submit, and a front-desk device,
	// which may not complain in the enterprise's name, was too (stop 45's
	// list).
	device, err := s.probeSession(r, sess)
	if sessionEnded(w, r, err) {
		return
	}
	if device {
		render(w, http.StatusForbidden, "result", "投诉", resultData{Banner: badBanner("前台设备不能投诉",
			"投诉以企业的名义提交，须用企业账号（政务服务账号登录，或管理员签发的企业令牌）。执法人员未出示入企码要求入企时，前台设备可以在首页“拒绝无码检查”记录拒绝。"),
			Back: "/", BackTo: "返回首页"})
		return
	}
	d := complainData{CSRF: csrfToken(sess), RequestID: newRequestID()}
	if id := domain.NormalizeID(r.URL.Query().Get("inspection")); domain.ValidateID("检查编号", id) == nil {
		d.InspectionID = id
	}
	render(w, http.StatusOK, "complain", "投诉", d)
}

// complain is POST /complain.
func (s *server) complain(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.enterpriseForm(w, r, "/complain")
	if !ok {
		return
	}
	d := complainData{CSRF: csrfToken(sess), Description: strings.TrimSpace(r.PostFormValue("description")),
		Officer: strings.TrimSpace(r.PostFormValue("officer")), RequestID: domain.Clip(strings.TrimSpace(r.PostFormValue("request_id")), domain.MaxRequestID),
		Occurred: domain.Clip(strings.TrimSpace(r.PostFormValue("occurred")), 32)}
	if d.RequestID == "" {
		d.RequestID = newRequestID()
	}
	if id := domain.NormalizeID(r.PostFormValue("inspection")); domain.ValidateID("检查编号", id) == nil {
		d.InspectionID = id
	}
	if domain.Blank(d.Description) {
		d.Problem = "请写明投诉的事情：何时、何人、做了什么。"
		render(w, http.StatusBadRequest, "complain", "投诉", d)
		return
	}
	occurred, ok := parseOccurred(d.Occurred)
	if !ok {
		d.Problem = "发生时间看不懂：请用日期时间选择填写（北京时间），或留空表示现在。"
		render(w, http.StatusBadRequest, "complain", "投诉", d)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.Complain(as(ctx, sess), &ruqiv1.ComplainRequest{InspectionId: d.InspectionID, OfficerClaimed: d.Officer, Description: d.Description,
		OccurredAt: occurred, RequestId: d.RequestID})
	back := "/complain"
	if d.InspectionID != "" {
		back += "?inspection=" + url.QueryEscape(d.InspectionID)
	}
	if sessionEndedKeeping(w, r, err, d.Description, back, "重新登录并返回投诉页面") {
		return
	}
	if err != nil {
		d.Problem = "投诉未提交：" + apiMessage(err)
		render(w, httpStatus(err), "complain", "投诉", d)
		return
	}
	q := url.Values{"lead": {resp.GetLeadId()}}
	if resp.GetAlreadyRecorded() {
		q.Set("again", "1")
	}
	http.Redirect(w, r, "/complained?"+confirmation(sess, "complained", q).Encode(), http.StatusSeeOther)
}

// complained shows the complaint's lead. It reads only the lead id from
// the URL, never text to display.
func (s *server) complained(w http.ResponseWriter, r *http.Request) {
	if !confirmed(r, "complained") {
		unconfirmed(w, "/", "返回首页")
		return
	}
	d := resultData{Banner: okBanner("投诉已提交", "投诉已作为问题线索报送司法局，由司法局核查处理。"), Back: "/", BackTo: "返回首页"}
	if r.URL.Query().Get("again") == "1" {
		// The same form sent again (Back, a reload): the first stands.
		d.Banner = waitBanner("此前已提交过这条投诉", "同一张投诉表单只记录一次：此前的投诉已记录，本次未另行记录。如是另一件事，请从首页重新打开“投诉”再提交。")
	}
	if lead := r.URL.Query().Get("lead"); domain.LeadIDShape.MatchString(lead) {
		d.Lines = append(d.Lines, "问题线索编号："+lead+"（企业账号登录后，可在首页「问题线索」查看司法局的处理状态）")
	}
	render(w, http.StatusOK, "result", "投诉已提交", d)
}

// enterpriseCodeOpened is GET /E/{token}: what an enterprise code is, to
// whoever opened its QR with a phone's camera. It reads nothing of the
// token: the code is scanned by the officer's own tool, which checks it.
func (s *server) enterpriseCodeOpened(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "result", "企业码", resultData{
		Banner: waitBanner("这是企业张贴的企业码（两码互核）", "供执法人员到场时扫描、登记本人到场，与企业扫描的入企码互相核对。它不是入企码，本身不准许任何人入企检查。"),
		Lines: []string{
			"执法人员：到场后用执法终端或命令行 ruqi officer arrive 扫描此码登记到场。",
			"企业：执法人员入企前，请扫描其出示的入企码核验；企业码被人拍走或怀疑被冒用，可在“企业码”页面重新生成，旧码随即失效。",
		},
		Back: "/", BackTo: "返回首页"})
}

// refuseData is the form to refuse a visit whose officer showed no code.
type refuseData struct {
	CSRF      string
	RequestID string // one form, one refusal: submitted twice, recorded once
	Reason    string // kept when the form comes back with a problem
	MaxReason int
	Problem   string
}

// refuseVisitForm is GET /refuse: a refusal of a visit without a code (无码
// 入企), which the command line offered (company refuse) and the pages did
// not, so that a front-desk phone could refuse only a code it had scanned
// (a trial as an enterprise, 2026-12-07). Each form carries its own
// request id: two officers turned away on one day are two refusals.
func (s *server) refuseVisitForm(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	render(w, http.StatusOK, "refuse", "拒绝无码检查", refuseData{CSRF: csrfToken(sess), RequestID: newRequestID(), MaxReason: domain.MaxRefusalReason})
}

// refuseVisit is POST /refuse.
func (s *server) refuseVisit(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.enterpriseForm(w, r, "/refuse")
	if !ok {
		return
	}
	d := refuseData{CSRF: csrfToken(sess), Reason: strings.TrimSpace(r.PostFormValue("reason")), MaxReason: domain.MaxRefusalReason,
		RequestID: domain.Clip(strings.TrimSpace(r.PostFormValue("request_id")), domain.MaxRequestID)}
	if d.RequestID == "" {
		d.RequestID = newRequestID()
	}
	switch {
	case domain.Blank(d.Reason):
		d.Problem = "请填写拒绝检查的理由，例如：执法人员未出示入企码。"
		render(w, http.StatusBadRequest, "refuse", "拒绝无码检查", d)
		return
	case domain.ValidateText("拒绝理由", d.Reason, domain.MaxRefusalReason) != nil:
		d.Problem = fmt.Sprintf("理由过长：最多 %d 个字，请精简后重试。", domain.MaxRefusalReason)
		render(w, http.StatusBadRequest, "refuse", "拒绝无码检查", d)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.RefuseInspection(as(ctx, sess), &ruqiv1.RefuseInspectionRequest{Reason: d.Reason, RequestId: d.RequestID})
	if sessionEndedKeeping(w, r, err, d.Reason, "/refuse", "重新登录并返回拒绝页面") {
		return
	}
	if err != nil {
		d.Problem = "拒绝未能记录：" + apiMessage(err)
		render(w, httpStatus(err), "refuse", "拒绝无码检查", d)
		return
	}
	q := url.Values{"lead": {resp.GetLeadId()}}
	if resp.GetAdvisory() {
		q.Set("advisory", "1")
	}
	if resp.GetRepeated() {
		q.Set("again", "1")
	}
	http.Redirect(w, r, "/refused-visit?"+confirmation(sess, "refused visit", q).Encode(), http.StatusSeeOther)
}

// refusedVisit shows a refusal refuseVisit recorded, to the session that
// made it only. It reads only the lead id from the URL.
func (s *server) refusedVisit(w http.ResponseWriter, r *http.Request) {
	if !confirmed(r, "refused visit") {
		unconfirmed(w, "/", "返回首页")
		return
	}
	// Again: the same form sent again (Back, a second tab): the first
	// refusal stands, and another officer's is a new form (a review,
	// 2026-12-07: it read as recorded).
	render(w, http.StatusOK, "result", "已拒绝检查", refusalRecorded(r, "/", "返回首页",
		waitBanner("此前已用这张表单记录过拒绝", "本次填写的理由未另行记录。如是另一次无码检查（如另一名执法人员），请从首页重新打开“拒绝无码检查”再提交。"),
		"（企业账号登录后，可在首页「问题线索」查看司法局的处理状态）"))
}
