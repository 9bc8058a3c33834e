package web

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// entCodeData is the enterprise code page.
type entCodeData struct {
	Banner             *banner
	CSRF               string
	Name, USCC, Issued string
	// QR is a data: URL of our own PNG; html/template would replace a
	// plain string in src with #ZgotmplZ (data: is not a safe scheme).
	QR         template.URL
	Generation uint64
}

// enterpriseCode shows the signed-in enterprise's code (企业码) and its
// poster: GET /enterprise-code.
func (s *server) enterpriseCode(w http.ResponseWriter, r *http.Request) {
	var b *banner
	if g, err := strconv.Atoi(r.URL.Query().Get("reissued")); err == nil && g > 0 {
		b = okBanner("企业码已重新生成", fmt.Sprintf("现为第 %d 版，旧码已失效。请打印新海报替换张贴的旧海报。", g))
	}
	s.renderEnterpriseCode(w, r, b)
}

func (s *server) renderEnterpriseCode(w http.ResponseWriter, r *http.Request, b *banner) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.door.GetEnterpriseCode(as(ctx, sess), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		if sessionEnded(w, r, err) {
			return
		}
		render(w, httpStatus(err), "result", "企业码", resultData{Banner: badBanner("无法显示企业码", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	c := resp.GetCode()
	render(w, http.StatusOK, "entcode", "企业码", entCodeData{Banner: b, CSRF: csrfToken(sess), Name: c.GetEnterpriseName(), USCC: c.GetEnterpriseUscc(),
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(c.GetQrPng())), Issued: beijing(c.GetIssuedAt()), Generation: c.GetGeneration()})
}

// enterprisePoster sends the poster: GET /enterprise-code/poster.{png,pdf}.
func (s *server) enterprisePoster(format ruqiv1.PosterFormat, contentType, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := enterpriseSession(w, r)
		if !ok {
			return
		}
		ctx, cancel := s.callContext(r)
		defer cancel()
		resp, err := s.door.GetEnterpriseCode(as(ctx, sess), &ruqiv1.GetEnterpriseCodeRequest{Poster: format})
		if err != nil {
			if sessionEnded(w, r, err) {
				return
			}
			render(w, httpStatus(err), "result", "企业码", resultData{Banner: badBanner("无法生成海报", apiMessage(err)), Back: "/enterprise-code", BackTo: "返回企业码"})
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
		_, _ = w.Write(resp.GetPoster())
	}
}

// reissueEnterpriseCode: POST /enterprise-code/reissue.
func (s *server) reissueEnterpriseCode(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.enterpriseForm(w, r, "/enterprise-code")
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.door.ReissueEnterpriseCode(as(ctx, sess), &ruqiv1.ReissueEnterpriseCodeRequest{Reason: r.PostFormValue("reason")})
	if err != nil {
		render(w, httpStatus(err), "result", "未能重新生成", resultData{Banner: badBanner("未能重新生成企业码", apiMessage(err)), Back: "/enterprise-code", BackTo: "返回企业码"})
		return
	}
	// POST-redirect-GET: reloading the page shown afterwards must not
	// issue the code again, which would void the poster just printed (a
	// trial of the pages, 2026-12-05).
	http.Redirect(w, r, fmt.Sprintf("/enterprise-code?reissued=%d", resp.GetCode().GetGeneration()), http.StatusSeeOther)
}

// mutualNotes say 两码互核 on the verify page, for the enterprise.
var mutualNotes = map[ruqiv1.MutualVerification]string{
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED: "两码互核完成：该执法人员已在本企业扫描企业码登记到场。",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING:  "两码互核：该执法人员尚未扫描本企业的企业码登记到场。",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART:    "两码互核未通过：该执法人员扫描企业码登记到场的时间与本次签到相隔过久。",
}
