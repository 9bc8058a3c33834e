package web

import (
	"net/http"
	"strconv"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// historyData is the 检查记录 page: the enterprise's own inspections, newest
// first, with their results, a page at a time.
type historyData struct {
	ThisYear, LastYear, VisitsThisYear, VisitsLastYear int32
	Inspections                                        []historyInspection
	Older, Newer                                       string // the neighbouring pages' links, "" at either end
	Truncated                                          bool   // more than historyMax: the earliest are not shown
}

type historyInspection struct {
	*inspectionData
	// Evaluation is where the visit stands for its evaluation
	// (domain.EvaluationNote); Refused, that the enterprise refused it.
	Evaluation string
	Refused    bool
	// Part names, in a joint visit, the agency whose part this entry is:
	// the visit is listed once per agency's plan, each evaluated on its
	// own, and two entries read alike (a trial on a phone, 2026-12-06).
	Part string
}

const (
	historyPage = 20
	// historyMax bounds what the page keeps: a province's enterprise has a
	// few inspections a year, and the CLI's `company history` reads all.
	historyMax = 2000
)

// history is 检查记录 for the signed-in enterprise, as
// EnterpriseService.ListInspections answers (the CLI's `company history`).
// A phone-only enterprise had no way back to a result but the officer's
// code link, which it had to have kept (a trial of the pages on a phone,
// 2026-12-06). The service lists by id (oldest registered first), so the
// page reads them all, keeps the latest historyMax, and shows the latest
// visits first: paged as the service pages, the latest result was on the
// last page (a review, 2026-12-06).
func (s *server) history(w http.ResponseWriter, r *http.Request) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("p"))
	page = max(page, 1)
	ctx, cancel := s.callContext(r)
	defer cancel()
	var (
		d     historyData
		all   []*ruqiv1.InspectionView
		token string
	)
	for {
		resp, err := s.ent.ListInspections(as(ctx, sess), &ruqiv1.ListInspectionsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			if sessionEnded(w, r, err) {
				return
			}
			render(w, httpStatus(err), "result", "检查记录", resultData{Banner: badBanner("无法读取检查记录", apiMessage(err)), Back: "/", BackTo: "返回首页"})
			return
		}
		if token == "" {
			d.ThisYear, d.LastYear, d.VisitsThisYear, d.VisitsLastYear = resp.GetThisYear(), resp.GetLastYear(), resp.GetVisitsThisYear(), resp.GetVisitsLastYear()
		}
		all = append(all, resp.GetInspections()...)
		if len(all) > historyMax {
			// The service lists the earliest registered first: the
			// latest are kept (a review, 2026-12-06, found the first
			// version stopping at 2,000 and dropping the newest).
			all, d.Truncated = all[len(all)-historyMax:], true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	// Newest first by when the visit was, not by id, whose suffix is
	// random within a day; a joint visit's plans together.
	domain.SortVisitsLatestFirst(all)
	from := min((page-1)*historyPage, len(all))
	to := min(from+historyPage, len(all))
	for _, v := range all[from:to] {
		h := historyInspection{inspectionData: inspectionOf(v), Evaluation: domain.EvaluationNote(v)}
		if st := domain.RefusedState(v); st != "" {
			h.State, h.Refused = st, true
		}
		// A cancelled plan is no part of the visit any more (已撤销，无需评价).
		if len(h.Agencies) > 1 && v.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			for _, a := range h.Agencies {
				if a.ID == v.GetAgencyId() {
					h.Part = a.Name
				}
			}
		}
		d.Inspections = append(d.Inspections, h)
	}
	if to < len(all) {
		d.Older = "/history?p=" + strconv.Itoa(page+1)
	}
	if page > 1 {
		d.Newer = "/history?p=" + strconv.Itoa(page-1)
	}
	render(w, http.StatusOK, "history", "检查记录", d)
}
