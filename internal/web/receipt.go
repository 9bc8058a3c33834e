package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"google.golang.org/protobuf/encoding/protojson"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// checkInReceipt finds the receipt (存证) of an officer's check-in at an
// inspection, as the signed-in enterprise: the first SCAN_VERIFIED event of
// that officer. pending is true while the event is recorded but not yet in
// the Merkle log.
func (s *server) checkInReceipt(ctx context.Context, sess, inspection, officer string) (rc *ruqiv1.Receipt, pending bool, err error) {
	for after := uint64(0); ; {
		resp, err := ruqiv1.NewLogServiceClient(s.cfg.API).ListReceipts(as(ctx, sess), &ruqiv1.ListReceiptsRequest{InspectionId: inspection, AfterSeq: after})
		if err != nil {
			return nil, false, err
		}
		for _, r := range resp.GetReceipts() {
			e := r.GetEvent()
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED && e.GetOfficerId() == officer {
				return r, false, nil
			}
		}
		if resp.GetNextAfterSeq() <= after {
			return nil, resp.GetPending() > 0, nil
		}
		after = resp.GetNextAfterSeq()
	}
}

// receiptNote is the verify page's line about the receipt, and its link.
// checkedIn says the scan being answered is the check-in: only then is an
// event on its way to the log that check-in. Read after the visit, the event
// on its way is the reading itself (a failed scan), which every reading
// writes anew, and an officer who never checked in has no receipt to come (a
// walk through a joint visit, 2026-12-07: 存证生成中：签到已记录 for a code
// never scanned).
func (s *server) receiptNote(ctx context.Context, sess, token, inspection, officer string, checkedIn bool) (note, link string) {
	rc, pending, err := s.checkInReceipt(ctx, sess, inspection, officer)
	switch {
	case err != nil:
		return "", ""
	case rc != nil:
		return fmt.Sprintf("已存证：本次签到是可验证日志中的第 %d 条记录，存证可下载保存，日后凭日志公钥即可独立核验。", rc.GetEvent().GetSeq()),
			"/V/" + token + "/receipt?" + url.Values{"inspection": {inspection}, "officer": {officer}}.Encode()
	case pending && checkedIn:
		return "存证生成中：签到已记录，几秒后刷新本页即可下载存证。", ""
	}
	return "", ""
}

// receipt serves the check-in's receipt as a file to keep.
func (s *server) receipt(w http.ResponseWriter, r *http.Request) {
	sess := sessionToken(r, enterpriseCookie)
	if sess == "" {
		http.Error(w, "请先以企业身份登录", http.StatusUnauthorized)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	q := r.URL.Query()
	rc, _, err := s.checkInReceipt(ctx, sess, q.Get("inspection"), q.Get("officer"))
	if err != nil {
		http.Error(w, apiMessage(err), httpStatus(err))
		return
	}
	if rc == nil {
		http.Error(w, "存证尚未生成，请稍后再试", http.StatusNotFound)
		return
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(rc)
	if err != nil {
		http.Error(w, "存证编码失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// The receipt names the enterprise and the officer: kept by the
	// enterprise, not by a shared cache or the browser's.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="receipt-%d.json"`, rc.GetEvent().GetSeq()))
	w.Write(append(b, '\n'))
}
