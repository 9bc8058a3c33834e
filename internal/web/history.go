package web

import (
	"net/http"
	"net/url"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// historyData is the 检查记录 page: the enterprise's own inspections, newest
// first, with their results, a page at a time.
type historyData struct {
	ThisYear, LastYear, VisitsThisYear, VisitsLastYear int32
	Inspections                                        []historyInspection
	Next                                               string // the next page's link, "" at the end
}

type historyInspection struct {
	*inspectionData
	Evaluated bool
}

// history is 检查记录 for the signed-in enterprise, as
// EnterpriseService.ListInspections answers (the CLI's `company history`).
// A phone-only enterprise had no way back to a result but the officer's
// code link, which it had to have kept (a trial of the pages on a phone,
// 2026-12-06).
func (s *server) history(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.ent.ListInspections(as(ctx, sess), &ruqiv1.ListInspectionsRequest{PageSize: 20, PageToken: r.URL.Query().Get("page")})
	if err != nil {
		if sessionEnded(w, r, err) {
			return
		}
		render(w, httpStatus(err), "result", "检查记录", resultData{Banner: badBanner("无法读取检查记录", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	d := historyData{ThisYear: resp.GetThisYear(), LastYear: resp.GetLastYear(), VisitsThisYear: resp.GetVisitsThisYear(), VisitsLastYear: resp.GetVisitsLastYear()}
	for _, v := range resp.GetInspections() {
		d.Inspections = append(d.Inspections, historyInspection{inspectionData: inspectionOf(v), Evaluated: v.GetEvaluated()})
	}
	if t := resp.GetNextPageToken(); t != "" {
		d.Next = "/history?" + url.Values{"page": {t}}.Encode()
	}
	render(w, http.StatusOK, "history", "检查记录", d)
}
